import { createContext, useContext } from 'react';
import { allows, type Me, type Role } from './api';

export interface Session {
  readonly me: Me;
  readonly signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/** Whether the signed-in caller may take actions that need `role`: what is not allowed is not shown. */
export function useCan(role: Role): boolean {
  return allows(useSession().me.role, role);
}
