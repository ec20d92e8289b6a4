/**
 * The merchant dictionary: well-known merchants with their clean name, a default category and the
 * spellings banks use for them. One line per merchant: `id|Name|category|alias;alias;...`.
 * Aliases are matched on normalized tokens (see merchants.ts), so `amzn mktp` matches
 * `AMZN MKTP US*2K4AB1` and `AMZN Mktp US`. The id doubles as the first alias.
 */
const dictionaryText = `
amazon|Amazon|online_shopping|amzn;amzn mktp;amazon mktp;amazon com;amazon marketplace;amazon mktplace;amzn digital;amazon digital;amazon retail;amzn com bill
amazon_prime|Amazon Prime|streaming|amazon prime;prime video;amzn prime;primevideo
audible|Audible|streaming|audible
aws|Amazon Web Services|software|aws;amazon web services;aws emea
whole_foods|Whole Foods Market|groceries|whole foods;wholefds;wfm;whole foods market
walmart|Walmart|department_stores|walmart;wal mart;wm supercenter;wal sams;walmart com
sams_club|Sam's Club|groceries|sams club;sams club
target|Target|department_stores|target;target com;target t
costco|Costco|groceries|costco;costco whse;costco wholesale;costco gas
kroger|Kroger|groceries|kroger;kroger fuel
safeway|Safeway|groceries|safeway;safeway store
albertsons|Albertsons|groceries|albertsons
publix|Publix|groceries|publix;publix super
trader_joes|Trader Joe's|groceries|trader joe;trader joes;trader joe s
aldi|Aldi|groceries|aldi;aldi sud;aldi nord
lidl|Lidl|groceries|lidl
tesco|Tesco|groceries|tesco;tesco stores;tesco express;tesco metro
sainsburys|Sainsbury's|groceries|sainsburys;sainsbury s;js sainsbury
asda|Asda|groceries|asda;asda stores
morrisons|Morrisons|groceries|morrisons;wm morrison
waitrose|Waitrose|groceries|waitrose
carrefour|Carrefour|groceries|carrefour;carrefour market;carrefour city
rewe|Rewe|groceries|rewe;rewe markt
edeka|Edeka|groceries|edeka
countdown|Woolworths NZ|groceries|countdown;woolworths nz
new_world|New World|groceries|new world
paknsave|Pak'nSave|groceries|paknsave;pak n save;pak nsave
woolworths|Woolworths|groceries|woolworths;woolworths au
coles|Coles|groceries|coles;coles supermarkets
heb|H-E-B|groceries|heb;h e b
wegmans|Wegmans|groceries|wegmans
food_lion|Food Lion|groceries|food lion
giant_eagle|Giant Eagle|groceries|giant eagle
meijer|Meijer|groceries|meijer
sprouts|Sprouts|groceries|sprouts;sprouts farmers
instacart|Instacart|food_delivery|instacart
starbucks|Starbucks|coffee|starbucks;sbux;starbucks store
dunkin|Dunkin'|coffee|dunkin;dunkin donuts
costa|Costa Coffee|coffee|costa coffee;costa
pret|Pret A Manger|coffee|pret;pret a manger
tim_hortons|Tim Hortons|coffee|tim hortons
peets|Peet's Coffee|coffee|peets;peet s coffee
blue_bottle|Blue Bottle Coffee|coffee|blue bottle
mcdonalds|McDonald's|fast_food|mcdonalds;mcdonald s;mcd;mc donalds
burger_king|Burger King|fast_food|burger king;bk
wendys|Wendy's|fast_food|wendys;wendy s
kfc|KFC|fast_food|kfc;kentucky fried
subway|Subway|fast_food|subway
taco_bell|Taco Bell|fast_food|taco bell
chipotle|Chipotle|fast_food|chipotle;chipotle online
chick_fil_a|Chick-fil-A|fast_food|chick fil a;chickfila;chick fila
five_guys|Five Guys|fast_food|five guys
shake_shack|Shake Shack|fast_food|shake shack
panera|Panera Bread|restaurants|panera;panera bread
dominos|Domino's|fast_food|dominos;domino s
pizza_hut|Pizza Hut|fast_food|pizza hut
papa_johns|Papa John's|fast_food|papa johns;papa john s
popeyes|Popeyes|fast_food|popeyes
arbys|Arby's|fast_food|arbys;arby s
sonic|Sonic Drive-In|fast_food|sonic drive
jack_in_the_box|Jack in the Box|fast_food|jack in the box
in_n_out|In-N-Out Burger|fast_food|in n out;innout
nandos|Nando's|restaurants|nandos;nando s
wagamama|Wagamama|restaurants|wagamama
olive_garden|Olive Garden|restaurants|olive garden
applebees|Applebee's|restaurants|applebees;applebee s
cheesecake_factory|The Cheesecake Factory|restaurants|cheesecake factory
ihop|IHOP|restaurants|ihop
dennys|Denny's|restaurants|dennys;denny s
uber_eats|Uber Eats|food_delivery|uber eats;ubereats;uber eats pending
doordash|DoorDash|food_delivery|doordash;dd doordash;door dash
grubhub|Grubhub|food_delivery|grubhub
deliveroo|Deliveroo|food_delivery|deliveroo
just_eat|Just Eat|food_delivery|just eat;justeat
postmates|Postmates|food_delivery|postmates
menulog|Menulog|food_delivery|menulog
seamless|Seamless|food_delivery|seamless
uber|Uber|rideshare|uber;uber trip;uber bv;uber technologies;uber com
lyft|Lyft|rideshare|lyft;lyft ride
bolt|Bolt|rideshare|bolt eu;bolt ride;bolt
grab|Grab|rideshare|grab;grabtaxi
ola|Ola|rideshare|ola cabs
free_now|FREE NOW|rideshare|free now;freenow;mytaxi
shell|Shell|fuel|shell;shell oil;shell service
bp|BP|fuel|bp;bp oil;bp connect
exxon|ExxonMobil|fuel|exxon;exxonmobil;mobil
chevron|Chevron|fuel|chevron
texaco|Texaco|fuel|texaco
sunoco|Sunoco|fuel|sunoco
valero|Valero|fuel|valero
marathon|Marathon Petroleum|fuel|marathon petro
speedway|Speedway|fuel|speedway
circle_k|Circle K|fuel|circle k
seven_eleven|7-Eleven|groceries|7 eleven;7eleven;seven eleven
wawa|Wawa|fuel|wawa
z_energy|Z Energy|fuel|z energy
esso|Esso|fuel|esso
total|TotalEnergies|fuel|totalenergies;total energies
mta|MTA|public_transport|mta;mta nyct;nyct paygo;omny
tfl|Transport for London|public_transport|tfl;tfl travel;tfl gov;transport for london
bart|BART|public_transport|bart;clipper
at_hop|Auckland Transport|public_transport|at hop;auckland transport
opal|Opal|public_transport|opal;transport nsw
amtrak|Amtrak|public_transport|amtrak
greyhound|Greyhound|public_transport|greyhound
trainline|Trainline|public_transport|trainline
deutsche_bahn|Deutsche Bahn|public_transport|db bahn;deutsche bahn;db vertrieb
sncf|SNCF|public_transport|sncf;oui sncf
parkmobile|ParkMobile|parking_tolls|parkmobile
spothero|SpotHero|parking_tolls|spothero
ez_pass|E-ZPass|parking_tolls|ez pass;ezpass;e zpass
fastrak|FasTrak|parking_tolls|fastrak
delta|Delta Air Lines|airlines|delta air;delta airlines;delta air lines
united|United Airlines|airlines|united airlines;united air;united 016
american_airlines|American Airlines|airlines|american airlines;american air;aa com
southwest|Southwest Airlines|airlines|southwest;southwest air;southwes
jetblue|JetBlue|airlines|jetblue;jet blue
alaska_air|Alaska Airlines|airlines|alaska air;alaska airlines
british_airways|British Airways|airlines|british airways;british a;ba com
lufthansa|Lufthansa|airlines|lufthansa;dlh
air_france|Air France|airlines|air france
klm|KLM|airlines|klm
ryanair|Ryanair|airlines|ryanair
easyjet|easyJet|airlines|easyjet;easy jet
air_new_zealand|Air New Zealand|airlines|air new zealand;air nz;airnz
qantas|Qantas|airlines|qantas
emirates|Emirates|airlines|emirates
hertz|Hertz|car_rental|hertz
avis|Avis|car_rental|avis;avis rent
enterprise|Enterprise Rent-A-Car|car_rental|enterprise rent;enterprise rent a car
sixt|Sixt|car_rental|sixt
budget_rental|Budget Car Rental|car_rental|budget rent a car
zipcar|Zipcar|car_rental|zipcar
airbnb|Airbnb|lodging|airbnb;airbnb hm;air bnb
booking|Booking.com|lodging|booking com;booking;bkg
expedia|Expedia|travel_agencies|expedia;expedia inc
hotels_com|Hotels.com|lodging|hotels com
marriott|Marriott|lodging|marriott;courtyard marriott;residence inn
hilton|Hilton|lodging|hilton;hampton inn;doubletree
hyatt|Hyatt|lodging|hyatt
ihg|IHG Hotels|lodging|ihg;holiday inn;intercontinental
accor|Accor|lodging|accor;ibis;novotel;sofitel
vrbo|Vrbo|lodging|vrbo
kayak|Kayak|travel_agencies|kayak
netflix|Netflix|streaming|netflix;netflix com
spotify|Spotify|music|spotify;spotify usa;spotify ab;spotify p
apple_music|Apple Music|music|apple music
apple|Apple|electronics|apple store;apple com;apple online store;apple r
apple_services|Apple Services|subscriptions|apple com bill;itunes;itunes com;apple bill
hulu|Hulu|streaming|hulu
disney_plus|Disney+|streaming|disney plus;disneyplus;disney
hbo_max|Max|streaming|hbo max;hbomax;max com
paramount_plus|Paramount+|streaming|paramount plus;paramount
peacock|Peacock|streaming|peacock;peacocktv
youtube|YouTube Premium|streaming|youtube;youtube premium;google youtube;youtubepremium
twitch|Twitch|streaming|twitch
crunchyroll|Crunchyroll|streaming|crunchyroll
tidal|Tidal|music|tidal
deezer|Deezer|music|deezer
pandora|Pandora|music|pandora
soundcloud|SoundCloud|music|soundcloud
steam|Steam|games|steam;steamgames;steam purchase;valve
playstation|PlayStation Network|games|playstation;sony playstation;psn
xbox|Xbox|games|xbox;microsoft xbox
nintendo|Nintendo|games|nintendo
epic_games|Epic Games|games|epic games
blizzard|Blizzard|games|blizzard;battle net
ticketmaster|Ticketmaster|events|ticketmaster;ticketmaster com
live_nation|Live Nation|events|live nation
stubhub|StubHub|events|stubhub
eventbrite|Eventbrite|events|eventbrite
amc|AMC Theatres|cinema|amc;amc theatres
regal|Regal Cinemas|cinema|regal;regal cinemas
cineworld|Cineworld|cinema|cineworld
odeon|Odeon|cinema|odeon
fandango|Fandango|cinema|fandango
google|Google|software|google;google cloud;google gsuite;google workspace;google storage
google_play|Google Play|subscriptions|google play;google services
microsoft|Microsoft|software|microsoft;msft;microsoft 365;microsoft office
adobe|Adobe|software|adobe;adobe systems;adobe creative
dropbox|Dropbox|software|dropbox
github|GitHub|software|github
openai|OpenAI|software|openai;chatgpt
slack|Slack|software|slack;slack technologies
zoom|Zoom|software|zoom us;zoom video
notion|Notion|software|notion so;notion labs
atlassian|Atlassian|software|atlassian
digitalocean|DigitalOcean|software|digitalocean
heroku|Heroku|software|heroku
linkedin|LinkedIn|subscriptions|linkedin;linkedin premium
icloud|iCloud|subscriptions|icloud
patreon|Patreon|subscriptions|patreon
substack|Substack|subscriptions|substack
nytimes|The New York Times|subscriptions|nytimes;ny times;new york times
wsj|The Wall Street Journal|subscriptions|wsj;dow jones
medium|Medium|subscriptions|medium com
duolingo|Duolingo|education|duolingo
coursera|Coursera|education|coursera
udemy|Udemy|education|udemy
ebay|eBay|online_shopping|ebay;ebay inc;ebay com
etsy|Etsy|online_shopping|etsy;etsy com
aliexpress|AliExpress|online_shopping|aliexpress;alibaba
temu|Temu|online_shopping|temu;temu com
shein|Shein|clothing|shein
wish|Wish|online_shopping|wish com
wayfair|Wayfair|home_garden|wayfair
zalando|Zalando|clothing|zalando
asos|ASOS|clothing|asos
best_buy|Best Buy|electronics|best buy;bestbuy;bby
currys|Currys|electronics|currys;currys pc world
jb_hifi|JB Hi-Fi|electronics|jb hi fi;jbhifi
newegg|Newegg|electronics|newegg
micro_center|Micro Center|electronics|micro center
home_depot|The Home Depot|home_garden|home depot;the home depot;homedepot
lowes|Lowe's|home_garden|lowes;lowe s
ikea|IKEA|home_garden|ikea
bunnings|Bunnings|home_garden|bunnings;bunnings warehouse
b_and_q|B&Q|home_garden|b q;b and q
bed_bath|Bed Bath & Beyond|home_garden|bed bath;bed bath beyond
ace_hardware|Ace Hardware|home_garden|ace hardware;ace hdwe
macys|Macy's|department_stores|macys;macy s
nordstrom|Nordstrom|department_stores|nordstrom;nordstrom rack
kohls|Kohl's|department_stores|kohls;kohl s
jcpenney|JCPenney|department_stores|jcpenney;jc penney
john_lewis|John Lewis|department_stores|john lewis
marks_spencer|Marks & Spencer|department_stores|marks spencer;m s;marks and spencer
kmart|Kmart|department_stores|kmart
the_warehouse|The Warehouse|department_stores|the warehouse;warehouse stationery
tj_maxx|TJ Maxx|clothing|tj maxx;tjmaxx;tk maxx
marshalls|Marshalls|clothing|marshalls
ross|Ross Dress for Less|clothing|ross stores;ross dress
gap|Gap|clothing|gap;gap us;old navy;banana republic
h_and_m|H&M|clothing|h m;h and m;hm com
zara|Zara|clothing|zara
uniqlo|Uniqlo|clothing|uniqlo
primark|Primark|clothing|primark
nike|Nike|sporting_goods|nike;nike com
adidas|Adidas|sporting_goods|adidas
decathlon|Decathlon|sporting_goods|decathlon
rei|REI|sporting_goods|rei;rei com
dicks|Dick's Sporting Goods|sporting_goods|dicks sporting;dick s sporting
sephora|Sephora|pharmacy|sephora
ulta|Ulta Beauty|pharmacy|ulta
cvs|CVS Pharmacy|pharmacy|cvs;cvs pharmacy;cvs caremark
walgreens|Walgreens|pharmacy|walgreens
rite_aid|Rite Aid|pharmacy|rite aid
boots|Boots|pharmacy|boots;boots uk
chemist_warehouse|Chemist Warehouse|pharmacy|chemist warehouse
barnes_noble|Barnes & Noble|books|barnes noble;barnes and noble;b n
waterstones|Waterstones|books|waterstones
kindle|Kindle|books|kindle;kindle svcs;kindle unltd
dollar_tree|Dollar Tree|department_stores|dollar tree
dollar_general|Dollar General|department_stores|dollar general;dollar gen
petsmart|PetSmart|home_garden|petsmart
petco|Petco|home_garden|petco
chewy|Chewy|online_shopping|chewy;chewy com
staples|Staples|home_garden|staples
office_depot|Office Depot|home_garden|office depot;officemax
planet_fitness|Planet Fitness|fitness|planet fitness;pf
equinox|Equinox|fitness|equinox
la_fitness|LA Fitness|fitness|la fitness
anytime_fitness|Anytime Fitness|fitness|anytime fitness
peloton|Peloton|fitness|peloton
classpass|ClassPass|fitness|classpass
puregym|PureGym|fitness|puregym;pure gym
kaiser|Kaiser Permanente|health_insurance|kaiser;kaiser permanente
one_medical|One Medical|doctor|one medical
labcorp|Labcorp|doctor|labcorp
quest|Quest Diagnostics|doctor|quest diagnostics
comcast|Xfinity|internet|comcast;xfinity;comcast cable
att|AT&T|phone|at t;att;at t wireless;att bill
verizon|Verizon|phone|verizon;verizon wireless;vzw
t_mobile|T-Mobile|phone|t mobile;tmobile
spectrum|Spectrum|internet|spectrum;charter spectrum
cox|Cox Communications|internet|cox comm;cox communications
vodafone|Vodafone|phone|vodafone
o2|O2|phone|o2;o2 uk
ee|EE|phone|ee limited;ee mobile
bt|BT|internet|bt group;british telecom;bt broadband
spark_nz|Spark|phone|spark nz;spark new zealand
telstra|Telstra|phone|telstra
one_nz|One NZ|phone|one nz
pg_e|PG&E|electricity_gas|pg e;pge;pacific gas
con_edison|Con Edison|electricity_gas|con ed;con edison;coned
duke_energy|Duke Energy|electricity_gas|duke energy
british_gas|British Gas|electricity_gas|british gas
octopus_energy|Octopus Energy|electricity_gas|octopus energy
edf|EDF Energy|electricity_gas|edf;edf energy
mercury|Mercury Energy|electricity_gas|mercury energy;mercury nz
genesis|Genesis Energy|electricity_gas|genesis energy
contact_energy|Contact Energy|electricity_gas|contact energy
watercare|Watercare|water|watercare
thames_water|Thames Water|water|thames water
geico|GEICO|insurance|geico
state_farm|State Farm|insurance|state farm
progressive|Progressive|insurance|progressive ins;progressive insurance
allstate|Allstate|insurance|allstate
aviva|Aviva|insurance|aviva
lemonade|Lemonade|insurance|lemonade
ups|UPS|shipping|ups;ups store;the ups store
fedex|FedEx|shipping|fedex;fedex office
usps|USPS|shipping|usps;usps com;us postal
dhl|DHL|shipping|dhl
royal_mail|Royal Mail|shipping|royal mail
nz_post|NZ Post|shipping|nz post
paypal|PayPal|people_transfers|paypal;pp
venmo|Venmo|people_transfers|venmo
zelle|Zelle|people_transfers|zelle
cash_app|Cash App|people_transfers|cash app;square cash;sq cash
wise|Wise|people_transfers|wise;transferwise
revolut|Revolut|people_transfers|revolut
western_union|Western Union|people_transfers|western union;wu
irs|IRS|government|irs;irs usataxpymt;us treasury
hmrc|HMRC|government|hmrc
ird|Inland Revenue|government|ird;inland revenue
dmv|DMV|government|dmv
red_cross|Red Cross|charity|red cross;american red cross
unicef|UNICEF|charity|unicef
wikimedia|Wikimedia Foundation|charity|wikimedia
gofundme|GoFundMe|charity|gofundme
`;

/** One merchant of the dictionary. */
export interface DictionaryMerchant {
  id: string;
  name: string;
  categoryId: string;
  /** Normalized spellings (lower case words separated by one space). */
  aliases: string[];
}

function parseDictionary(text: string): DictionaryMerchant[] {
  const merchants: DictionaryMerchant[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [id, name, categoryId, aliasText] = line.split('|');
    if (!id || !name || !categoryId || aliasText === undefined) {
      throw new Error(`merchant dictionary: malformed line ${JSON.stringify(line)}`);
    }
    const aliases = [id.replaceAll('_', ' '), ...aliasText.split(';')].map((a) => a.trim());
    merchants.push({ id, name, categoryId, aliases: [...new Set(aliases.filter(Boolean))] });
  }
  return merchants;
}

/** Every merchant of the built-in dictionary. */
export const dictionaryMerchants: readonly DictionaryMerchant[] = parseDictionary(dictionaryText);
