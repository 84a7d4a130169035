import { useMemo, useState } from "react";
import { Filters } from "./Filters";
import { EmptyState } from "./EmptyState";

export interface UserRowProps {
  caption: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 6 }, (_, index) => ({ id: index, value: index * 27 }));

export function UserRow(props: UserRowProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="userrow" data-total={total}>
      <h2>{props.caption}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        UserRow: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Filters text={`${props.caption} Filters`} count={count} />
      <EmptyState title={`${props.caption} EmptyState`} count={count} />
    </section>
  );
}
