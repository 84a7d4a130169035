import { useMemo, useState } from "react";
import { Tab } from "./Tab";
import { SearchBox } from "./SearchBox";

export interface TabsProps {
  text: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 5 }, (_, index) => ({ id: index, value: index * 12 }));

export function Tabs(props: TabsProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="tabs" data-total={total}>
      <h2>{props.text}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Tabs: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Tab text={`${props.text} Tab`} count={count} />
      <SearchBox label={`${props.text} SearchBox`} count={count} />
    </section>
  );
}
