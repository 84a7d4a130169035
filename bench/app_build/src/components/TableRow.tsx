import { useMemo, useState } from "react";
import { Avatar } from "./Avatar";
import { Badge } from "./Badge";

export interface TableRowProps {
  title: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 7 }, (_, index) => ({ id: index, value: index * 9 }));

export function TableRow(props: TableRowProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="tablerow" data-total={total}>
      <h2>{props.title}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        TableRow: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <Avatar label={`${props.title} Avatar`} count={count} />
      <Badge label={`${props.title} Badge`} count={count} />
    </section>
  );
}
