import { useMemo, useState } from "react";
import { Button } from "./Button";
import { Card } from "./Card";
import "./NavItem.css";

export interface NavItemProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 9 }, (_, index) => ({ id: index, value: index * 4 }));

export function NavItem(props: NavItemProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="navitem" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        NavItem: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Button label={`${props.label} Button`} count={count} />
      <Card label={`${props.label} Card`} count={count} />
    </section>
  );
}
