import { useMemo, useState } from "react";
import { Toast } from "./Toast";
import { Tooltip } from "./Tooltip";

export interface PaginationProps {
  title: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 8 }, (_, index) => ({ id: index, value: index * 15 }));

export function Pagination(props: PaginationProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="pagination" data-total={total}>
      <h2>{props.title}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Pagination: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Toast label={`${props.title} Toast`} count={count} />
      <Tooltip text={`${props.title} Tooltip`} count={count} />
    </section>
  );
}
