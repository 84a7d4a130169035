import { useMemo, useState } from "react";
import { Badge } from "./Badge";
import { Tabs } from "./Tabs";
import "./Avatar.css";

export interface AvatarProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 8 }, (_, index) => ({ id: index, value: index * 10 }));

export function Avatar(props: AvatarProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="avatar" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Avatar: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Badge label={`${props.label} Badge`} count={count} />
      <Tabs text={`${props.label} Tabs`} count={count} />
    </section>
  );
}
