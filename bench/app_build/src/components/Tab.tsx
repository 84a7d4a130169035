import { useMemo, useState } from "react";
import { SearchBox } from "./SearchBox";
import { Pagination } from "./Pagination";
import "./Tab.css";

export interface TabProps {
  text: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 3 }, (_, index) => ({ id: index, value: index * 13 }));

export function Tab(props: TabProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="tab" data-total={total}>
      <h2>{props.text}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Tab: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <SearchBox label={`${props.text} SearchBox`} count={count} />
      <Pagination title={`${props.text} Pagination`} count={count} />
    </section>
  );
}
