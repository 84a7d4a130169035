import { useMemo, useState } from "react";
import { Sidebar } from "./Sidebar";
import { NavItem } from "./NavItem";

export interface FooterProps {
  title: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 5 }, (_, index) => ({ id: index, value: index * 2 }));

export function Footer(props: FooterProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="footer" data-total={total}>
      <h2>{props.title}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Footer: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Sidebar text={`${props.title} Sidebar`} count={count} />
      <NavItem label={`${props.title} NavItem`} count={count} />
    </section>
  );
}
