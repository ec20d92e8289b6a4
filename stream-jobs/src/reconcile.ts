/**
 * `npm run reconcile`: checks the live system the configuration names (same variables as the
 * service) and prints every difference; exits 1 when there is any, 0 when clean.
 */
import { backendConfigSchema, loadConfig } from '@spendstream/core/config';
import { formatReport, reconcile } from './features/reconcile/reconcile.js';
import { openBackends } from './runtime.js';

const config = loadConfig(backendConfigSchema);
const backends = await openBackends(config);
try {
  await backends.store.init();
  await backends.index.init();
  const report = await reconcile(backends);
  process.stdout.write(`${formatReport(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await backends.close();
}
