import { useMemo, useState } from "react";
import { UserRow } from "./UserRow";
import { Filters } from "./Filters";

export interface UserListProps {
  title: string;
  count?: number;
  onSelect?: (index: number) => void;
}

const ITEMS = Array.from({ length: 5 }, (_, index) => ({ id: index, value: index * 26 }));

export function UserList(props: UserListProps) {
  const [count, setCount] = useState<number>(props.count ?? 0);
  const [selected, setSelected] = useState<number | null>(null);
  const total = useMemo(() => ITEMS.reduce((sum, item) => sum + item.value, count), [count]);
  const pick = (index: number) => {
    setSelected(index);
    props.onSelect?.(index);
  };
  return (
    <section className="userlist" data-total={total}>
      <h2>{props.title}</h2>
      <button type="button" onClick={() => setCount(count + 1)}>
        UserList: {count}
      </button>
      <ul>
        {ITEMS.map((item) => (
          <li key={item.id} className={selected === item.id ? "active" : undefined} onClick={() => pick(item.id)}>
            {item.value}
          </li>
        ))}
      </ul>
      <UserRow caption={`${props.title} UserRow`} count={count} />
      <Filters text={`${props.title} Filters`} count={count} />
    </section>
  );
}
