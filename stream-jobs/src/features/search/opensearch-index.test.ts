import test from 'ava';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { createOpenSearchIndex } from './opensearch-index.js';
import { searchIndexContract } from './search-contract.js';

searchIndexContract(test, 'OpenSearch index', async () => {
  const index = createOpenSearchIndex({
    url: realServers(['OPENSEARCH_URL']).OPENSEARCH_URL,
    index: uniqueName('sj_tx'),
  });
  return {
    index,
    cleanup: async () => {
      await index.drop();
      await index.close();
    },
  };
});
