import { useMemo, useState } from "react";
import { EmptyState } from "./EmptyState";
import { ErrorBanner } from "./ErrorBanner";
import "./Filters.css";

export interface FiltersProps {
  text: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 28 }));

export function Filters(props: FiltersProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="filters" data-total={total}>
      <h2>{props.text}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Filters: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <EmptyState title={`${props.text} EmptyState`} count={count} />
      <ErrorBanner label={`${props.text} ErrorBanner`} count={count} />
    </section>
  );
}
