// The API's types, written from the HTTP contract (API.md) and the server's OpenAPI document.

export type Role = 'user' | 'admin';

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  email_verified: boolean;
  created_at: string;
}

/** A user as the admin area sees it. */
export interface AdminUser extends User {
  is_active: boolean;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface Session {
  id: string;
  created_at: string;
  last_used_at: string | null;
  user_agent: string | null;
  current: boolean;
}

export interface Todo {
  id: string;
  title: string;
  completed: boolean;
  created_at: string;
  updated_at: string;
}

export interface TodoStats {
  total: number;
  active: number;
  completed: number;
}

export type TodoFilter = 'all' | 'active' | 'completed';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface AuditEntry {
  id: string;
  at: string;
  event: string;
  user_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: unknown;
}

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, the body of every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  request_id?: string;
}
