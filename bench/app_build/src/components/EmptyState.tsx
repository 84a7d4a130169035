import { useMemo, useState } from "react";
import { ErrorBanner } from "./ErrorBanner";

export interface EmptyStateProps {
  title: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 6 }, (_, index) => ({ id: index, value: index * 29 }));

export function EmptyState(props: EmptyStateProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="emptystate" data-total={total}>
      <h2>{props.title}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        EmptyState: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <ErrorBanner label={`${props.title} ErrorBanner`} count={count} />
    </section>
  );
}
