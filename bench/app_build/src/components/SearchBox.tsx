import { useMemo, useState } from "react";
import { Pagination } from "./Pagination";
import { Toast } from "./Toast";

export interface SearchBoxProps {
  label: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 14 }));

export function SearchBox(props: SearchBoxProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="searchbox" data-total={total}>
      <h2>{props.label}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        SearchBox: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Pagination title={`${props.label} Pagination`} count={count} />
      <Toast label={`${props.label} Toast`} count={count} />
    </section>
  );
}
