/** Stores of the auth feature: refresh tokens (hashed), signing keys, machine clients and grants. */
export interface RefreshToken {
  id: string;
  familyId: string;
  userId: string;
  /** sha256 of the opaque token; the token itself is never stored. */
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

export interface RefreshTokenStore {
  insert(token: RefreshToken): Promise<void>;
  findByHash(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Mark used only if still unused and unrevoked; false when someone used it first. */
  markUsed(id: string, now: number): Promise<boolean>;
  revokeFamily(familyId: string, now: number): Promise<void>;
  revokeAllOfUser(userId: string, now: number): Promise<void>;
}

export interface StoredSigningKey {
  kid: string;
  alg: string;
  /** The private JWK encrypted at rest (see key-encryption.ts); JSON text in rows of old versions. */
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface SigningKeyStore {
  /** Keys not retired, plus retired ones still inside the verification window, newest first. */
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  retire(kid: string, now: number): Promise<void>;
  /** Replace the stored private key (a key stored in clear by an older version, now encrypted). */
  setPrivateJwk(kid: string, privateJwk: string): Promise<void>;
}

export interface Client {
  id: string;
  name: string;
  secretHash: string;
  scopes: string[];
  createdAt: number;
  disabledAt: number | null;
}

export interface ClientGrant {
  clientId: string;
  userId: string;
  scopes: string[];
  createdAt: number;
}

export interface ClientStore {
  insert(client: Client): Promise<void>;
  findById(clientId: string): Promise<Client | undefined>;
  upsertGrant(grant: ClientGrant): Promise<void>;
  removeGrant(clientId: string, userId: string): Promise<boolean>;
  findGrant(clientId: string, userId: string): Promise<ClientGrant | undefined>;
  listGrantsOfClient(clientId: string): Promise<ClientGrant[]>;
}
