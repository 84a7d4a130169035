import { useMemo, useState } from "react";
import { NavItem } from "./NavItem";
import { Button } from "./Button";

export interface SidebarProps {
  text: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 3 }));

export function Sidebar(props: SidebarProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="sidebar" data-total={total}>
      <h2>{props.text}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Sidebar: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <NavItem label={`${props.text} NavItem`} count={count} />
      <Button label={`${props.text} Button`} count={count} />
    </section>
  );
}
