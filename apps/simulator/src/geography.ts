/**
 * Where simulated probes live: cities with a few of their access ISPs (real ASNs and prefixes
 * of those networks), weighted roughly like the RIPE Atlas fleet, which is mostly European.
 */
export interface AccessIsp {
  asn: number;
  name: string;
  prefix: string;
}

export interface City {
  name: string;
  countryCode: string;
  latitude: number;
  longitude: number;
  weight: number;
  isps: readonly AccessIsp[];
}

const KPN: AccessIsp = { asn: 1136, name: "KPN", prefix: "77.160.0.0/12" };
const ZIGGO: AccessIsp = { asn: 33915, name: "Ziggo", prefix: "84.24.0.0/13" };
const DTAG: AccessIsp = { asn: 3320, name: "Deutsche Telekom", prefix: "79.192.0.0/10" };
const VODAFONE_DE: AccessIsp = { asn: 3209, name: "Vodafone DE", prefix: "88.64.0.0/12" };
const ORANGE: AccessIsp = { asn: 3215, name: "Orange", prefix: "90.0.0.0/9" };
const FREE: AccessIsp = { asn: 12322, name: "Free", prefix: "82.64.0.0/10" };
const BT: AccessIsp = { asn: 2856, name: "BT", prefix: "86.128.0.0/10" };
const VIRGIN: AccessIsp = { asn: 5089, name: "Virgin Media", prefix: "82.0.0.0/11" };
const COMCAST: AccessIsp = { asn: 7922, name: "Comcast", prefix: "73.0.0.0/8" };
const ATT: AccessIsp = { asn: 7018, name: "AT&T", prefix: "99.0.0.0/10" };

export const CITIES: readonly City[] = [
  { name: "Amsterdam", countryCode: "NL", latitude: 52.37, longitude: 4.9, weight: 8, isps: [KPN, ZIGGO] },
  { name: "Utrecht", countryCode: "NL", latitude: 52.09, longitude: 5.12, weight: 3, isps: [KPN, ZIGGO] },
  { name: "Berlin", countryCode: "DE", latitude: 52.52, longitude: 13.4, weight: 7, isps: [DTAG, VODAFONE_DE] },
  { name: "Frankfurt", countryCode: "DE", latitude: 50.11, longitude: 8.68, weight: 5, isps: [DTAG, VODAFONE_DE] },
  { name: "Munich", countryCode: "DE", latitude: 48.14, longitude: 11.58, weight: 4, isps: [DTAG, VODAFONE_DE] },
  { name: "Paris", countryCode: "FR", latitude: 48.86, longitude: 2.35, weight: 6, isps: [ORANGE, FREE] },
  { name: "Lyon", countryCode: "FR", latitude: 45.76, longitude: 4.84, weight: 2, isps: [ORANGE, FREE] },
  { name: "London", countryCode: "GB", latitude: 51.51, longitude: -0.13, weight: 6, isps: [BT, VIRGIN] },
  { name: "Manchester", countryCode: "GB", latitude: 53.48, longitude: -2.24, weight: 2, isps: [BT, VIRGIN] },
  { name: "Zurich", countryCode: "CH", latitude: 47.37, longitude: 8.54, weight: 3, isps: [
    { asn: 3303, name: "Swisscom", prefix: "85.0.0.0/13" },
    { asn: 6830, name: "Sunrise UPC", prefix: "62.2.0.0/16" },
  ] },
  { name: "Stockholm", countryCode: "SE", latitude: 59.33, longitude: 18.07, weight: 3, isps: [
    { asn: 3301, name: "Telia", prefix: "78.64.0.0/12" },
  ] },
  { name: "Prague", countryCode: "CZ", latitude: 50.08, longitude: 14.44, weight: 2, isps: [
    { asn: 5610, name: "O2 Czech Republic", prefix: "90.176.0.0/12" },
  ] },
  { name: "Milan", countryCode: "IT", latitude: 45.46, longitude: 9.19, weight: 3, isps: [
    { asn: 3269, name: "Telecom Italia", prefix: "79.0.0.0/10" },
  ] },
  { name: "Madrid", countryCode: "ES", latitude: 40.42, longitude: -3.7, weight: 2, isps: [
    { asn: 3352, name: "Telefonica de Espana", prefix: "80.24.0.0/13" },
  ] },
  { name: "Moscow", countryCode: "RU", latitude: 55.76, longitude: 37.62, weight: 3, isps: [
    { asn: 12389, name: "Rostelecom", prefix: "95.24.0.0/13" },
  ] },
  { name: "New York", countryCode: "US", latitude: 40.71, longitude: -74.01, weight: 4, isps: [COMCAST, ATT] },
  { name: "Chicago", countryCode: "US", latitude: 41.88, longitude: -87.63, weight: 2, isps: [COMCAST, ATT] },
  { name: "Seattle", countryCode: "US", latitude: 47.61, longitude: -122.33, weight: 2, isps: [COMCAST] },
  { name: "Toronto", countryCode: "CA", latitude: 43.65, longitude: -79.38, weight: 2, isps: [
    { asn: 812, name: "Rogers", prefix: "99.224.0.0/11" },
  ] },
  { name: "Sao Paulo", countryCode: "BR", latitude: -23.55, longitude: -46.63, weight: 2, isps: [
    { asn: 28573, name: "Claro NXT", prefix: "177.0.0.0/11" },
  ] },
  { name: "Buenos Aires", countryCode: "AR", latitude: -34.6, longitude: -58.38, weight: 1, isps: [
    { asn: 7303, name: "Telecom Argentina", prefix: "181.0.0.0/11" },
  ] },
  { name: "Tokyo", countryCode: "JP", latitude: 35.68, longitude: 139.69, weight: 2, isps: [
    { asn: 2516, name: "KDDI", prefix: "106.128.0.0/11" },
    { asn: 4713, name: "NTT OCN", prefix: "153.128.0.0/10" },
  ] },
  { name: "Singapore", countryCode: "SG", latitude: 1.35, longitude: 103.82, weight: 1, isps: [
    { asn: 9506, name: "Singtel", prefix: "116.14.0.0/15" },
  ] },
  { name: "Mumbai", countryCode: "IN", latitude: 19.08, longitude: 72.88, weight: 1, isps: [
    { asn: 9829, name: "BSNL", prefix: "117.192.0.0/10" },
  ] },
  { name: "Sydney", countryCode: "AU", latitude: -33.87, longitude: 151.21, weight: 2, isps: [
    { asn: 1221, name: "Telstra", prefix: "101.160.0.0/11" },
  ] },
  { name: "Johannesburg", countryCode: "ZA", latitude: -26.2, longitude: 28.05, weight: 1, isps: [
    { asn: 3741, name: "Internet Solutions", prefix: "196.23.0.0/16" },
  ] },
  { name: "Nairobi", countryCode: "KE", latitude: -1.29, longitude: 36.82, weight: 1, isps: [
    { asn: 33771, name: "Safaricom", prefix: "105.160.0.0/11" },
  ] },
];

/** Backbone networks routes cross between access ISPs and targets. */
export const TRANSIT_NETWORKS: readonly AccessIsp[] = [
  { asn: 1299, name: "Arelion", prefix: "62.115.0.0/16" },
  { asn: 3356, name: "Lumen", prefix: "4.69.128.0/17" },
  { asn: 174, name: "Cogent", prefix: "154.54.0.0/16" },
  { asn: 6939, name: "Hurricane Electric", prefix: "184.105.0.0/16" },
  { asn: 2914, name: "NTT", prefix: "129.250.0.0/16" },
  { asn: 6762, name: "Telecom Italia Sparkle", prefix: "195.22.192.0/19" },
];

/** Great-circle distance in kilometres. */
export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const radians = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * radians;
  const dLon = (b.longitude - a.longitude) * radians;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * radians) * Math.cos(b.latitude * radians) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
