/** The user store port. The password hash never leaves the users feature except to verify a login. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  homeCurrency: string;
  timeZone: string;
  isAdmin: boolean;
  createdAt: number;
  updatedAt: number;
}

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
  delete(userId: string): Promise<void>;
}
