/** The user store port. The password hash never leaves the users feature except to verify a login. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  homeCurrency: string;
  timeZone: string;
  /** BCP 47 locale for display (`fr-FR`). */
  locale: string;
  /** Revision of the settings snapshot last published: 0 at registration, +1 per change. */
  settingsRevision: number;
  isAdmin: boolean;
  createdAt: number;
  updatedAt: number;
}

/** The settings a user may change after registration. */
export type UserSettingsChanges = Partial<
  Pick<User, 'displayName' | 'homeCurrency' | 'timeZone' | 'locale'>
>;

export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface UserStore {
  /** false when the email is taken. */
  insert(user: UserWithSecret): Promise<boolean>;
  findById(userId: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  findSecretByEmail(email: string): Promise<UserWithSecret | undefined>;
  findSecretById(userId: string): Promise<UserWithSecret | undefined>;
  setPasswordHash(userId: string, passwordHash: string, now: number): Promise<void>;
  /**
   * Apply `changes` and add one to the settings revision, in one statement (the row stays locked
   * until commit, so concurrent changes get consecutive revisions); the user after it, or undefined
   * when there is no such user.
   */
  updateSettings(
    userId: string,
    changes: UserSettingsChanges,
    now: number,
  ): Promise<User | undefined>;
  /**
   * Add one to the user's `ref.wallets` snapshot revision and return it (the row stays locked until
   * commit, so concurrent changes get consecutive revisions in commit order); undefined when there
   * is no such user.
   */
  nextWalletsRevision(userId: string): Promise<number | undefined>;
  delete(userId: string): Promise<void>;
}
