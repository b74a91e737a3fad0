import type { Knex } from "knex";

export interface TicketQuery {
  status?: string;
  assignee?: number;
}

export async function findTickets(db: Knex, q: TicketQuery) {
  const query = db("tickets").select("id", "title", "status", "assignee_id");
  if (q.status) {
    query.whereRaw("lower(status) = lower(?)", [q.status]);
  }
  if (q.assignee !== undefined) {
    query.where("assignee_id", q.assignee);
  }
  return query.orderBy("updated_at", "desc").limit(50);
}
