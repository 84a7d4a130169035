import { useMemo, useState } from "react";
import { Spinner } from "./Spinner";
import { Breadcrumbs } from "./Breadcrumbs";

export interface ProgressBarProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 6 }, (_, index) => ({ id: index, value: index * 21 }));

export function ProgressBar(props: ProgressBarProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="progressbar" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        ProgressBar: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Spinner text={`${props.label} Spinner`} count={count} />
      <Breadcrumbs label={`${props.label} Breadcrumbs`} count={count} />
    </section>
  );
}
