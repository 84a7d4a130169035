import { useMemo, useState } from "react";
import { Tabs } from "./Tabs";
import { Tab } from "./Tab";

export interface BadgeProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 4 }, (_, index) => ({ id: index, value: index * 11 }));

export function Badge(props: BadgeProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="badge" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Badge: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Tabs text={`${props.label} Tabs`} count={count} />
      <Tab text={`${props.label} Tab`} count={count} />
    </section>
  );
}
