import { useMemo, useState } from "react";
import { Footer } from "./Footer";
import { Sidebar } from "./Sidebar";
import "./Header.css";

export interface HeaderProps {
  caption: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 1 }));

export function Header(props: HeaderProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="header" data-total={total}>
      <h2>{props.caption}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Header: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Footer title={`${props.caption} Footer`} count={count} />
      <Sidebar text={`${props.caption} Sidebar`} count={count} />
    </section>
  );
}
