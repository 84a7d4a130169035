import { useMemo, useState } from "react";

export interface ErrorBannerProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 5 }, (_, index) => ({ id: index, value: index * 30 }));

export function ErrorBanner(props: ErrorBannerProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="errorbanner" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        ErrorBanner: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
    </section>
  );
}
