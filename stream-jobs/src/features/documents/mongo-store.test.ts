import test from 'ava';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createMongoDocumentStore, dropMongoDatabase } from './mongo-store.js';
import { documentStoreContract } from './store-contract.js';

documentStoreContract(
  test,
  'MongoDB store on FerretDB',
  async () => {
    const url = realServers(['MONGODB_URL']).MONGODB_URL;
    const dbName = uniqueName('sj');
    const store = createMongoDocumentStore({ url, dbName });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropMongoDatabase(url, dbName);
      },
    };
  },
  { historySize: 12 },
);
