// What every server module offers the CLI.
import type { InfraConfig } from './config.js';

export interface ServerStatus {
  up: boolean;
  /** The version the server reports, or the pinned one when it does not answer. */
  version: string;
  /** Where clients reach it. */
  url: string;
  /** The pid when we started it and it runs. */
  pid?: number;
  note?: string;
}

export interface InfraServer {
  name: 'kafka' | 'mariadb' | 'ferretdb' | 'opensearch' | 'chromium';
  /** Downloads or builds what is missing (idempotent; fast when everything is there). */
  install(config: InfraConfig): Promise<void>;
  /** Starts it when it is not up and waits until it answers (bounded). */
  start(config: InfraConfig): Promise<void>;
  /** Stops it when we started it. */
  stop(config: InfraConfig): Promise<void>;
  status(config: InfraConfig): Promise<ServerStatus>;
  /** The entry for .infra/env.json. */
  envEntry(config: InfraConfig): Record<string, string>;
}
