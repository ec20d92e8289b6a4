/** How a user looks over HTTP: never the password hash (the User type does not even carry it). */
import type { User } from './store.js';

export function presentUser(u: User) {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    homeCurrency: u.homeCurrency,
    timeZone: u.timeZone,
    locale: u.locale,
    settingsRevision: u.settingsRevision,
    isAdmin: u.isAdmin,
    createdAt: new Date(u.createdAt).toISOString(),
  };
}
