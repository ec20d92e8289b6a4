/** The demo person's login (printed by `npm run demo`; nothing secret in a throwaway local demo). */
export const demoUser = { email: 'demo@spendstream.test', password: 'spendstream-demo' };
