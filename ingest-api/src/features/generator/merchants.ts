/**
 * The merchant catalog of the generator: real-looking brands per category and region, each with the
 * messy spellings banks print on statements (upper case, truncated to the 22-character card
 * descriptor, store numbers, payment-processor prefixes such as `SQ *`, `TST* `, `PAYPAL *`, order
 * references like `AMZN MKTP US*2K4`). The canonical name and category travel with every generated
 * transaction as the ground truth, so stream-job tests can check merchant clean-up and categorization.
 */
import type { Random } from './random.js';

/** Where a brand trades. `global` brands appear for every user. */
export const regions = ['US', 'GB', 'EU', 'JP', 'AU', 'IN', 'BR', 'KW', 'global'] as const;
export type Region = (typeof regions)[number];

/** The ground-truth categories the generator draws from (a subset the categorizer should recover). */
export const generatorCategories = [
  'groceries',
  'restaurants',
  'coffee',
  'transport',
  'shopping',
  'subscriptions',
  'utilities',
  'housing',
  'insurance',
  'health',
  'entertainment',
  'travel',
  'cash',
  'income',
  'transfers',
] as const;
export type GeneratorCategory = (typeof generatorCategories)[number];

/** How a card network or bank renders the merchant on a statement line. */
export type DescriptorStyle =
  | 'store' // `WHOLEFDS MKT #10234 AUSTIN TX`
  | 'online' // `AMZN MKTP US*2K4XY1Z03`
  | 'square' // `SQ *BLUE BOTTLE COFFE`
  | 'toast' // `TST* SHAKE SHACK 1234`
  | 'paypal' // `PAYPAL *SPOTIFY`
  | 'plain'; // `NETFLIX.COM`

export interface Brand {
  /** The canonical, human name: what merchant clean-up should produce. */
  name: string;
  category: GeneratorCategory;
  subcategory: string;
  /** ISO 18245 merchant category code as banks send it. */
  mcc: string;
  regions: readonly Region[];
  style: DescriptorStyle;
  /** The stems banks print (several when the brand's descriptor varies by acquirer). */
  stems: readonly string[];
}

// name | category | subcategory | mcc | regions | style | stems (;-separated)
const brandTable = `
Whole Foods Market|groceries|supermarket|5411|US|store|WHOLEFDS MKT;WHOLE FOODS MARKET;WFM
Trader Joe's|groceries|supermarket|5411|US|store|TRADER JOE S;TRADER JOES
Safeway|groceries|supermarket|5411|US|store|SAFEWAY;SAFEWAY STORE
Kroger|groceries|supermarket|5411|US|store|KROGER;KROGER FUEL CTR
Costco|groceries|warehouse club|5300|US;GB;JP;AU|store|COSTCO WHSE;COSTCO WHOLESALE
Walmart|groceries|supermarket|5411|US|store|WAL-MART SUPERCENTER;WM SUPERCENTER;WALMART.COM
Target|shopping|department store|5310|US|store|TARGET;TARGET.COM
Publix|groceries|supermarket|5411|US|store|PUBLIX SUPER MAR;PUBLIX
Wegmans|groceries|supermarket|5411|US|store|WEGMANS
H-E-B|groceries|supermarket|5411|US|store|H-E-B;HEB GROCERY
Tesco|groceries|supermarket|5411|GB|store|TESCO STORES;TESCO EXPRESS;TESCO PFS
Sainsbury's|groceries|supermarket|5411|GB|store|SAINSBURYS S/MKTS;JS SAINSBURY;SAINSBURYS LOCAL
Asda|groceries|supermarket|5411|GB|store|ASDA STORES;ASDA SUPERSTORE
Waitrose|groceries|supermarket|5411|GB|store|WAITROSE;WAITROSE & PARTNERS
Marks & Spencer|groceries|supermarket|5411|GB|store|M&S SIMPLY FOOD;MARKS&SPENCER PLC
Lidl|groceries|discounter|5411|GB;EU|store|LIDL GB;LIDL DIENSTLEISTUNG;LIDL
Aldi|groceries|discounter|5411|US;GB;EU;AU|store|ALDI;ALDI SUED;ALDI STORES
Rewe|groceries|supermarket|5411|EU|store|REWE MARKT GMBH;REWE
Edeka|groceries|supermarket|5411|EU|store|EDEKA;EDEKA CENTER
Carrefour|groceries|supermarket|5411|EU;BR|store|CARREFOUR CITY;CARREFOUR MARKET;CRF EXPRESS
Monoprix|groceries|supermarket|5411|EU|store|MONOPRIX;MONOP
Albert Heijn|groceries|supermarket|5411|EU|store|ALBERT HEIJN;AH TO GO
Woolworths|groceries|supermarket|5411|AU|store|WOOLWORTHS;WOOLWORTHS METRO
Coles|groceries|supermarket|5411|AU|store|COLES;COLES EXPRESS
Seven-Eleven|groceries|convenience|5499|US;JP;AU|store|7-ELEVEN;SEVEN-ELEVEN
FamilyMart|groceries|convenience|5499|JP|store|FAMILYMART;FAMIMA
Lawson|groceries|convenience|5499|JP|store|LAWSON
Aeon|groceries|supermarket|5411|JP|store|AEON;AEON STYLE
BigBasket|groceries|online grocery|5411|IN|online|BIGBASKET;INNOVATIVE RETAIL CONC
DMart|groceries|supermarket|5411|IN|store|AVENUE SUPERMARTS;DMART
Pao de Acucar|groceries|supermarket|5411|BR|store|PAO DE ACUCAR;CIA BRASILEIRA DE DIST
Sultan Center|groceries|supermarket|5411|KW|store|THE SULTAN CENTER;TSC
Lulu Hypermarket|groceries|supermarket|5411|KW;IN|store|LULU HYPERMARKET;LULU HYPER
Starbucks|coffee|coffee shop|5814|global|store|STARBUCKS STORE;STARBUCKS
Blue Bottle Coffee|coffee|coffee shop|5814|US;JP|square|BLUE BOTTLE COFFEE
Dunkin'|coffee|coffee shop|5814|US|store|DUNKIN;DD/BR
Peet's Coffee|coffee|coffee shop|5814|US|store|PEETS;PEET S COFFEE
Costa Coffee|coffee|coffee shop|5814|GB|store|COSTA COFFEE;COSTA
Pret A Manger|coffee|cafe|5814|GB;US;EU|store|PRET A MANGER;PRET
Caffe Nero|coffee|coffee shop|5814|GB|store|CAFFE NERO
Tim Hortons|coffee|coffee shop|5814|US|store|TIM HORTONS
Doutor|coffee|coffee shop|5814|JP|store|DOUTOR COFFEE
Third Wave Roasters|coffee|coffee shop|5814|global|square|THIRD WAVE ROASTERS
Corner Espresso Bar|coffee|coffee shop|5814|global|square|CORNER ESPRESSO
McDonald's|restaurants|fast food|5814|global|store|MCDONALD S;MCDONALDS
Burger King|restaurants|fast food|5814|global|store|BURGER KING;BK
Chipotle|restaurants|fast casual|5814|US|store|CHIPOTLE;CHIPOTLE ONLINE
Shake Shack|restaurants|fast casual|5812|US;GB;JP|toast|SHAKE SHACK
Sweetgreen|restaurants|fast casual|5812|US|toast|SWEETGREEN
Nando's|restaurants|casual dining|5812|GB;AU|store|NANDOS
Wagamama|restaurants|casual dining|5812|GB|store|WAGAMAMA
Dishoom|restaurants|restaurant|5812|GB|toast|DISHOOM
Vapiano|restaurants|casual dining|5812|EU|store|VAPIANO
L'Entrecote|restaurants|restaurant|5812|EU|plain|LE RELAIS DE L ENTRECOTE
Yoshinoya|restaurants|fast food|5814|JP|store|YOSHINOYA
Ichiran|restaurants|restaurant|5812|JP|store|ICHIRAN
Domino's Pizza|restaurants|takeaway|5814|global|online|DOMINOS;DOMINO S PIZZA
Uber Eats|restaurants|food delivery|5812|global|online|UBER EATS;UBER *EATS
DoorDash|restaurants|food delivery|5812|US;AU|online|DOORDASH;DD *DOORDASH
Deliveroo|restaurants|food delivery|5812|GB;EU;AU|online|DELIVEROO
Swiggy|restaurants|food delivery|5812|IN|online|SWIGGY;BUNDL TECHNOLOGIES
Zomato|restaurants|food delivery|5812|IN|online|ZOMATO;ZOMATO LTD
iFood|restaurants|food delivery|5812|BR|online|IFOOD;IFD*IFOOD
Talabat|restaurants|food delivery|5812|KW|online|TALABAT
Olive Garden|restaurants|casual dining|5812|US|store|OLIVE GARDEN
The Local Bistro|restaurants|restaurant|5812|global|toast|LOCAL BISTRO
Golden Dragon|restaurants|restaurant|5812|global|square|GOLDEN DRAGON RESTAURA
Uber|transport|rideshare|4121|global|online|UBER *TRIP;UBER TRIP;UBER *PENDING
Lyft|transport|rideshare|4121|US|online|LYFT *RIDE;LYFT
Bolt|transport|rideshare|4121|EU;GB|online|BOLT.EU
Ola|transport|rideshare|4121|IN;AU|online|OLA CABS;ANI TECHNOLOGIES
MTA|transport|public transit|4111|US|plain|MTA*NYCT PAYGO;MTA MVM
Clipper|transport|public transit|4111|US|plain|CLIPPER SERVICE
Transport for London|transport|public transit|4111|GB|plain|TFL TRAVEL CH;TFL.GOV.UK/CP
BVG|transport|public transit|4111|EU|plain|BVG BERLIN;BVG TICKET APP
Deutsche Bahn|transport|train|4112|EU|online|DB VERTRIEB GMBH;DB BAHN A-NR
SNCF|transport|train|4112|EU|online|SNCF;SNCF INTERNET
RATP|transport|public transit|4111|EU|plain|RATP
Suica|transport|public transit|4111|JP|plain|MOBILE SUICA;JR EAST
Opal|transport|public transit|4111|AU|plain|TRANSPORTFORNSW OPAL
Shell|transport|fuel|5541|global|store|SHELL OIL;SHELL
BP|transport|fuel|5541|GB;EU;AU;US|store|BP;BP CONNECT
Chevron|transport|fuel|5541|US|store|CHEVRON;CHEVRON 0
Exxon|transport|fuel|5541|US|store|EXXONMOBIL;EXXON
Indian Oil|transport|fuel|5541|IN|store|INDIAN OIL;IOCL
Petrobras|transport|fuel|5541|BR|store|POSTO PETROBRAS;BR DISTRIBUIDORA
Amazon|shopping|online marketplace|5942|global|online|AMZN MKTP US;AMAZON.COM;AMZN Mktp;AMAZON MKTPLACE PMTS
eBay|shopping|online marketplace|5999|global|paypal|EBAY;EBAY O
Etsy|shopping|online marketplace|5999|global|online|ETSY.COM;ETSY INC
IKEA|shopping|home furnishing|5712|global|store|IKEA;IKEA STORE
Zara|shopping|clothing|5651|global|store|ZARA;ZARA.COM
H&M|shopping|clothing|5651|global|store|H&M;HM.COM
Uniqlo|shopping|clothing|5651|global|store|UNIQLO;UNIQLO USA
Primark|shopping|clothing|5651|GB;EU|store|PRIMARK
Best Buy|shopping|electronics|5732|US|store|BEST BUY;BESTBUY.COM
Currys|shopping|electronics|5732|GB|store|CURRYS;CURRYS PC WORLD
MediaMarkt|shopping|electronics|5732|EU|store|MEDIA MARKT;MEDIAMARKT
Yodobashi Camera|shopping|electronics|5732|JP|store|YODOBASHI CAMERA
Apple Store|shopping|electronics|5732|global|store|APPLE STORE;APPLE ONLINE STORE
Flipkart|shopping|online marketplace|5999|IN|online|FLIPKART;FLIPKART INTERNET
Mercado Livre|shopping|online marketplace|5999|BR|online|MERCADOLIVRE;MP *MERCADOLIVRE
Home Depot|shopping|home improvement|5200|US|store|THE HOME DEPOT;HOMEDEPOT.COM
Boots|health|pharmacy|5912|GB|store|BOOTS;BOOTS THE CHEMIST
CVS Pharmacy|health|pharmacy|5912|US|store|CVS/PHARMACY;CVS
Walgreens|health|pharmacy|5912|US|store|WALGREENS
dm-drogerie markt|health|drugstore|5912|EU|store|DM DROGERIE MARKT;DM FIL
Apollo Pharmacy|health|pharmacy|5912|IN|store|APOLLO PHARMACY
Matsumoto Kiyoshi|health|drugstore|5912|JP|store|MATSUMOTOKIYOSHI
Priceline Pharmacy|health|pharmacy|5912|AU|store|PRICELINE PHARMACY
City Dental Care|health|dentist|8021|global|plain|CITY DENTAL CARE
Netflix|subscriptions|streaming video|4899|global|plain|NETFLIX.COM;NETFLIX
Spotify|subscriptions|music streaming|5735|global|paypal|SPOTIFY;SPOTIFY P
Disney+|subscriptions|streaming video|4899|global|plain|DISNEYPLUS;DISNEY PLUS
YouTube Premium|subscriptions|streaming video|4899|global|plain|GOOGLE *YOUTUBEPREMIUM;GOOGLE *YOUTUBE
Apple iCloud|subscriptions|cloud storage|5818|global|plain|APPLE.COM/BILL
Google One|subscriptions|cloud storage|5818|global|plain|GOOGLE *GOOGLE ONE;GOOGLE*GOOGLE STORAGE
Microsoft 365|subscriptions|software|5734|global|plain|MICROSOFT*MICROSOFT 365;MSFT *
Adobe|subscriptions|software|5734|global|plain|ADOBE *CREATIVE CLOUD;ADOBE SYSTEMS
Amazon Prime|subscriptions|membership|5968|global|online|AMAZON PRIME*;PRIME VIDEO
The New York Times|subscriptions|news|5994|US;global|plain|NYTIMES;NYT DIGITAL SUBSCRIPTION
Planet Fitness|subscriptions|gym|7997|US|plain|PLANET FITNESS;PF CLUB FEES
PureGym|subscriptions|gym|7997|GB|plain|PUREGYM;PUREGYM LTD
McFit|subscriptions|gym|7997|EU|plain|MCFIT;RSG GROUP
Anytime Fitness|subscriptions|gym|7997|AU;JP;IN|plain|ANYTIME FITNESS
ChatGPT Plus|subscriptions|software|5734|global|plain|OPENAI *CHATGPT SUBSCR
Con Edison|utilities|electricity|4900|US|plain|CON ED OF NY;CONED PAYMENT
PG&E|utilities|electricity|4900|US|plain|PGANDE WEB ONLINE;PG&E
British Gas|utilities|energy|4900|GB|plain|BRITISH GAS;BG SERVICES
Octopus Energy|utilities|energy|4900|GB|plain|OCTOPUS ENERGY
Vattenfall|utilities|energy|4900|EU|plain|VATTENFALL EUROPE SALES
EDF|utilities|energy|4900|EU|plain|EDF CLIENTS PARTICULIERS
Tokyo Electric Power|utilities|electricity|4900|JP|plain|TEPCO ENERGY PARTNER
AGL Energy|utilities|energy|4900|AU|plain|AGL SALES PTY;AGL ENERGY
Tata Power|utilities|electricity|4900|IN|plain|TATA POWER DDL
Enel|utilities|electricity|4900|BR;EU|plain|ENEL DISTRIBUICAO
Ministry of Electricity and Water|utilities|electricity|4900|KW|plain|MEW KUWAIT
Thames Water|utilities|water|4900|GB|plain|THAMES WATER
Verizon|utilities|telecom|4814|US|plain|VZWRLSS*APOCC VISB;VERIZON WRLS
AT&T|utilities|telecom|4814|US|plain|ATT*BILL PAYMENT;AT&T
Comcast Xfinity|utilities|internet|4899|US|plain|COMCAST CABLE COMM;XFINITY
Vodafone|utilities|telecom|4814|GB;EU;IN|plain|VODAFONE LTD;VODAFONE GMBH
BT|utilities|internet|4814|GB|plain|BT GROUP PLC;BT BROADBAND
Deutsche Telekom|utilities|telecom|4814|EU|plain|TELEKOM DEUTSCHLAND GMBH
Orange|utilities|telecom|4814|EU|plain|ORANGE SA;ORANGE
NTT Docomo|utilities|telecom|4814|JP|plain|NTT DOCOMO
Telstra|utilities|telecom|4814|AU|plain|TELSTRA
Jio|utilities|telecom|4814|IN|plain|RELIANCE JIO;JIO PREPAID
Vivo|utilities|telecom|4814|BR|plain|TELEFONICA BRASIL;VIVO
Zain|utilities|telecom|4814|KW|plain|ZAIN KUWAIT
Landlord|housing|rent|6513|global|plain|RENT;RENT PAYMENT;STANDING ORDER RENT
State Farm|insurance|car insurance|6300|US|plain|STATE FARM RO 27;STATE FARM INSURANCE
Geico|insurance|car insurance|6300|US|plain|GEICO *AUTO
Aviva|insurance|home insurance|6300|GB|plain|AVIVA INSURANCE
Allianz|insurance|insurance|6300|EU;global|plain|ALLIANZ VERSICHERUNGS-AG
AMC Theatres|entertainment|cinema|7832|US|store|AMC;AMC ONLINE
Odeon|entertainment|cinema|7832|GB;EU|store|ODEON CINEMAS
Cineworld|entertainment|cinema|7832|GB|store|CINEWORLD
TOHO Cinemas|entertainment|cinema|7832|JP|store|TOHO CINEMAS
Steam|entertainment|games|5816|global|online|STEAMGAMES.COM;STEAM PURCHASE
PlayStation Store|entertainment|games|5816|global|online|PLAYSTATION NETWORK;SONY INTERACTIVE
Ticketmaster|entertainment|events|7922|global|online|TICKETMASTER;TM *TICKETMASTER
Delta Air Lines|travel|airline|3058|US|online|DELTA AIR LINES;DELTA AIR
United Airlines|travel|airline|3000|US|online|UNITED 016;UNITED AIRLINES
British Airways|travel|airline|3005|GB|online|BRITISH A;BRITISH AIRWAYS
Lufthansa|travel|airline|3008|EU|online|LUFTHANSA;DLH LUFTHANSA
Ryanair|travel|airline|3246|GB;EU|online|RYANAIR
Japan Airlines|travel|airline|3029|JP|online|JAPAN AIRLINES;JAL
Qantas|travel|airline|3136|AU|online|QANTAS AIRWAYS
IndiGo|travel|airline|3301|IN|online|INDIGO;INTERGLOBE AVIATION
Kuwait Airways|travel|airline|3056|KW|online|KUWAIT AIRWAYS
Airbnb|travel|lodging|7011|global|online|AIRBNB * HM;AIRBNB
Booking.com|travel|lodging|7011|global|online|BOOKING.COM;HOTEL AT BOOKING.COM
Marriott|travel|hotel|3509|global|store|MARRIOTT;COURTYARD BY MARRIOTT
Hilton|travel|hotel|3504|global|store|HILTON HOTELS;HAMPTON INN
`;

function parseBrands(table: string): Brand[] {
  return table
    .trim()
    .split('\n')
    .map((line) => {
      const [name, category, subcategory, mcc, regionList, style, stems] = line.split('|');
      if (!name || !category || !subcategory || !mcc || !regionList || !style || !stems) {
        throw new Error(`malformed brand line: ${line}`);
      }
      return {
        name,
        category: category as GeneratorCategory,
        subcategory,
        mcc,
        regions: regionList.split(';') as Region[],
        style: style as DescriptorStyle,
        stems: stems.split(';'),
      };
    });
}

/** Every brand the generator knows. */
export const brands: readonly Brand[] = Object.freeze(parseBrands(brandTable));

/** Cities per region, as card descriptors print them (city, then a state or country code). */
export const citiesByRegion: Record<
  Exclude<Region, 'global'>,
  readonly (readonly [string, string])[]
> = {
  US: [
    ['NEW YORK', 'NY'],
    ['BROOKLYN', 'NY'],
    ['JERSEY CITY', 'NJ'],
    ['LOS ANGELES', 'CA'],
    ['SANTA MONICA', 'CA'],
    ['SAN FRANCISCO', 'CA'],
    ['CHICAGO', 'IL'],
    ['EVANSTON', 'IL'],
    ['AUSTIN', 'TX'],
  ],
  GB: [
    ['LONDON', 'GB'],
    ['CAMDEN TOWN', 'GB'],
    ['MANCHESTER', 'GB'],
    ['CROYDON', 'GB'],
  ],
  EU: [
    ['BERLIN', 'DE'],
    ['MUENCHEN', 'DE'],
    ['HAMBURG', 'DE'],
    ['PARIS', 'FR'],
    ['BOULOGNE-BILLA', 'FR'],
    ['LYON', 'FR'],
  ],
  JP: [
    ['TOKYO', 'JP'],
    ['SHIBUYA-KU', 'JP'],
    ['OSAKA', 'JP'],
  ],
  AU: [
    ['SYDNEY', 'AU'],
    ['SURRY HILLS', 'AU'],
    ['MELBOURNE', 'AU'],
  ],
  IN: [
    ['MUMBAI', 'IN'],
    ['BANGALORE', 'IN'],
    ['NEW DELHI', 'IN'],
  ],
  BR: [
    ['SAO PAULO', 'BR'],
    ['RIO DE JANEIRO', 'BR'],
  ],
  KW: [
    ['KUWAIT CITY', 'KW'],
    ['SALMIYA', 'KW'],
  ],
};

/** Card networks print at most 22 characters of the merchant name. */
const descriptorNameChars = 22;

/** A merchant as one user meets it: a brand at one store, with the spelling the bank prints. */
export interface StoreMerchant {
  brand: Brand;
  /** The stem and store this user's bank prints for this store. */
  stem: string;
  storeNumber: string;
  city: string;
  area: string;
}

/** Pick a concrete store of a brand for a user living in `region`. */
export function pickStore(
  brand: Brand,
  region: Exclude<Region, 'global'>,
  random: Random,
): StoreMerchant {
  const [city, area] = random.pick(citiesByRegion[region]);
  return {
    brand,
    stem: random.pick(brand.stems),
    storeNumber: String(random.int(1, 9999)).padStart(random.chance(0.5) ? 4 : 0, '0'),
    city,
    area,
  };
}

/**
 * The statement text for one purchase at a store: mostly the same for the same store, but online
 * brands print a fresh order reference each time, and some acquirers vary the spacing.
 */
export function describe(store: StoreMerchant, random: Random): string {
  const { stem, storeNumber, city, area } = store;
  const cut = (text: string): string =>
    text
      .slice(0, descriptorNameChars)
      .padEnd(descriptorNameChars - 0, ' ')
      .trimEnd();
  switch (store.brand.style) {
    case 'store': {
      const name = random.chance(0.5) ? `${stem} #${storeNumber}` : `${stem} ${storeNumber}`;
      return `${cut(name)} ${city.slice(0, 13)} ${area}`.replace(
        /\s+/g,
        random.chance(0.15) ? '  ' : ' ',
      );
    }
    case 'online':
      return `${stem.endsWith('*') ? stem : `${stem}*`}${random.chars(random.int(3, 9))}`.slice(
        0,
        30,
      );
    case 'square':
      return `SQ *${cut(stem)} ${city.slice(0, 13)} ${area}`;
    case 'toast':
      return `TST* ${cut(`${stem} ${storeNumber}`)} ${city.slice(0, 13)} ${area}`;
    case 'paypal':
      return `PAYPAL *${stem.replace(/\s+/g, '').slice(0, 14)}`;
    case 'plain':
      return random.chance(0.2) ? `${stem} ${random.chars(6, '0123456789')}` : stem;
  }
}

/** The brands a user in `region` can meet for a category. */
export function brandsFor(category: GeneratorCategory, region: Exclude<Region, 'global'>): Brand[] {
  return brands.filter(
    (b) => b.category === category && (b.regions.includes(region) || b.regions.includes('global')),
  );
}

/** Find one brand by its canonical name (the generator's fixed bills and subscriptions use this). */
export function brandNamed(name: string): Brand {
  const brand = brands.find((b) => b.name === name);
  if (!brand) throw new Error(`no brand named ${name}`);
  return brand;
}
