import { useMemo, useState } from "react";
import { DataTable } from "./DataTable";
import { TableRow } from "./TableRow";
import "./Modal.css";

export interface ModalProps {
  caption: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 3 }, (_, index) => ({ id: index, value: index * 7 }));

export function Modal(props: ModalProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="modal" data-total={total}>
      <h2>{props.caption}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        Modal: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <DataTable label={`${props.caption} DataTable`} count={count} />
      <TableRow title={`${props.caption} TableRow`} count={count} />
    </section>
  );
}
