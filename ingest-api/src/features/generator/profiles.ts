/**
 * Where generated users live: a time zone, a home currency, a price level and an income level, so
 * amounts look right locally (a coffee is ~5 USD, ~700 JPY, ~1.5 KWD) and windows cut in the user's
 * zone cover half-hour offsets (Asia/Kolkata) and southern-hemisphere seasons (Sydney, Sao Paulo).
 */
import type { Region } from './merchants.js';

export interface Profile {
  id: string;
  region: Exclude<Region, 'global'>;
  timeZone: string;
  currency: string;
  /** Local currency units per US dollar of purchasing power, for everyday prices. */
  priceFactor: number;
  /** Local currency units per US dollar of income and rent. */
  incomeFactor: number;
  /** Southern hemisphere: seasons are flipped (summer travel in January, heating in July). */
  southern: boolean;
  /** A second currency some users hold for travel. */
  travelCurrency: string;
  /** Usual payday of month (a day number, or 'last' for the last business day). */
  payday: number | 'last';
  bankCategoryStyle: 'en' | 'de' | 'fr';
  employers: readonly string[];
}

export const profiles: readonly Profile[] = [
  {
    id: 'us-east',
    region: 'US',
    timeZone: 'America/New_York',
    currency: 'USD',
    priceFactor: 1,
    incomeFactor: 1,
    southern: false,
    travelCurrency: 'EUR',
    payday: 15,
    bankCategoryStyle: 'en',
    employers: ['ACME CORP PAYROLL', 'GUSTO PAYROLL NORTHWIND', 'ADP PAYROLL FEES CONTOSO'],
  },
  {
    id: 'us-west',
    region: 'US',
    timeZone: 'America/Los_Angeles',
    currency: 'USD',
    priceFactor: 1.1,
    incomeFactor: 1.2,
    southern: false,
    travelCurrency: 'JPY',
    payday: 'last',
    bankCategoryStyle: 'en',
    employers: ['INITECH DIR DEP', 'HOOLI INC PAYROLL', 'PIED PIPER DIRECT DEP'],
  },
  {
    id: 'us-central',
    region: 'US',
    timeZone: 'America/Chicago',
    currency: 'USD',
    priceFactor: 0.95,
    incomeFactor: 0.9,
    southern: false,
    travelCurrency: 'MXN',
    payday: 1,
    bankCategoryStyle: 'en',
    employers: ['GLOBEX CORP PAYROLL', 'UMBRELLA CO DIR DEP'],
  },
  {
    id: 'gb',
    region: 'GB',
    timeZone: 'Europe/London',
    currency: 'GBP',
    priceFactor: 0.8,
    incomeFactor: 0.7,
    southern: false,
    travelCurrency: 'EUR',
    payday: 'last',
    bankCategoryStyle: 'en',
    employers: ['BACS SALARY STARK LTD', 'WAYNE ENTERPRISES UK SAL', 'SALARY TYRELL PLC'],
  },
  {
    id: 'de',
    region: 'EU',
    timeZone: 'Europe/Berlin',
    currency: 'EUR',
    priceFactor: 0.9,
    incomeFactor: 0.75,
    southern: false,
    travelCurrency: 'GBP',
    payday: 'last',
    bankCategoryStyle: 'de',
    employers: ['LOHN/GEHALT MUSTER GMBH', 'GEHALT BEISPIEL AG'],
  },
  {
    id: 'fr',
    region: 'EU',
    timeZone: 'Europe/Paris',
    currency: 'EUR',
    priceFactor: 0.95,
    incomeFactor: 0.7,
    southern: false,
    travelCurrency: 'USD',
    payday: 'last',
    bankCategoryStyle: 'fr',
    employers: ['VIR SALAIRE DUPONT SA', 'VIREMENT SALAIRE EXEMPLE SAS'],
  },
  {
    id: 'jp',
    region: 'JP',
    timeZone: 'Asia/Tokyo',
    currency: 'JPY',
    priceFactor: 140,
    incomeFactor: 95,
    southern: false,
    travelCurrency: 'USD',
    payday: 25,
    bankCategoryStyle: 'en',
    employers: ['KYUYO YAMADA SHOJI', 'KYUYO SAKURA DENKI'],
  },
  {
    id: 'au',
    region: 'AU',
    timeZone: 'Australia/Sydney',
    currency: 'AUD',
    priceFactor: 1.5,
    incomeFactor: 1.4,
    southern: true,
    travelCurrency: 'NZD',
    payday: 15,
    bankCategoryStyle: 'en',
    employers: ['SALARY KANGAROO PTY LTD', 'PAY WOMBAT GROUP'],
  },
  {
    id: 'in',
    region: 'IN',
    timeZone: 'Asia/Kolkata',
    currency: 'INR',
    priceFactor: 30,
    incomeFactor: 18,
    southern: false,
    travelCurrency: 'USD',
    payday: 1,
    bankCategoryStyle: 'en',
    employers: ['NEFT SALARY INFOSYSTEMS', 'SAL CR TECHMAHA SOLUTIONS'],
  },
  {
    id: 'br',
    region: 'BR',
    timeZone: 'America/Sao_Paulo',
    currency: 'BRL',
    priceFactor: 3.5,
    incomeFactor: 1.6,
    southern: true,
    travelCurrency: 'USD',
    payday: 5,
    bankCategoryStyle: 'en',
    employers: ['PAGTO SALARIO EXEMPLO LTDA', 'CRED SALARIO BRASILTEC'],
  },
  {
    id: 'kw',
    region: 'KW',
    timeZone: 'Asia/Kuwait',
    currency: 'KWD',
    priceFactor: 0.3,
    incomeFactor: 0.35,
    southern: false,
    travelCurrency: 'GBP',
    payday: 25,
    bankCategoryStyle: 'en',
    employers: ['SALARY GULF TRADING CO', 'SALARY AL NOOR HOLDING'],
  },
];

/** A bank's own category labels (a categorization hint some banks send). */
export const bankCategoryLabels: Record<Profile['bankCategoryStyle'], Record<string, string>> = {
  en: {
    groceries: 'Groceries',
    restaurants: 'Dining',
    coffee: 'Dining',
    transport: 'Travel & Transport',
    shopping: 'Shopping',
    subscriptions: 'Bills & Subscriptions',
    utilities: 'Bills & Utilities',
    housing: 'Housing',
    insurance: 'Insurance',
    health: 'Health',
    entertainment: 'Entertainment',
    travel: 'Travel & Transport',
    cash: 'Cash',
    income: 'Income',
    transfers: 'Transfers',
  },
  de: {
    groceries: 'Lebensmittel',
    restaurants: 'Restaurants & Cafes',
    coffee: 'Restaurants & Cafes',
    transport: 'Mobilitaet',
    shopping: 'Einkaeufe',
    subscriptions: 'Abonnements',
    utilities: 'Wohnnebenkosten',
    housing: 'Miete',
    insurance: 'Versicherungen',
    health: 'Gesundheit',
    entertainment: 'Freizeit',
    travel: 'Reisen',
    cash: 'Bargeld',
    income: 'Einnahmen',
    transfers: 'Umbuchungen',
  },
  fr: {
    groceries: 'Alimentation',
    restaurants: 'Restaurants',
    coffee: 'Restaurants',
    transport: 'Transports',
    shopping: 'Achats',
    subscriptions: 'Abonnements',
    utilities: 'Factures',
    housing: 'Logement',
    insurance: 'Assurances',
    health: 'Sante',
    entertainment: 'Loisirs',
    travel: 'Voyages',
    cash: 'Retraits',
    income: 'Revenus',
    transfers: 'Virements internes',
  },
};
