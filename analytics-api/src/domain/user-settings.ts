/**
 * What analytics needs to know about a user: the zone windows are cut in and the home currency
 * amounts are summed in. Fed from the compacted `ref.user-settings` topic; a user without settings
 * yet gets the defaults (UTC, the service's default currency).
 */

export interface UserSettings {
  timeZone: string;
  homeCurrency: string;
}

/** Reads a user's settings. */
export interface UserSettingsStore {
  get(userId: string): Promise<UserSettings>;
  put(userId: string, settings: UserSettings & { revision: number }): Promise<void>;
}

/** An in-memory settings store: the embedded default and the unit-test twin. */
export function createMemoryUserSettingsStore(defaults: UserSettings): UserSettingsStore {
  const byUser = new Map<string, UserSettings & { revision: number }>();
  return {
    async get(userId) {
      const found = byUser.get(userId);
      return found ? { timeZone: found.timeZone, homeCurrency: found.homeCurrency } : defaults;
    },
    async put(userId, settings) {
      const existing = byUser.get(userId);
      // A compacted topic may replay an older snapshot: keep the newest revision.
      if (existing && existing.revision > settings.revision) return;
      byUser.set(userId, settings);
    },
  };
}
