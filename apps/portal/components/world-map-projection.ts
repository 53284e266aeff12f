/**
 * The Equal Earth projection (Šavrič, Patterson, Jenny 2018) fitted to the map's frame, for the
 * points: a few lines of arithmetic, so the points render with the page while d3-geo and the
 * atlas (the land) load on their own. `world-map-land.ts` draws the land with d3-geo's
 * `geoEqualEarth` at the same scale and centre, so the two agree.
 */
export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 472;
const MARGIN = 4;

const A1 = 1.340264;
const A2 = -0.081106;
const A3 = 0.000893;
const A4 = 0.003796;
const M = Math.sqrt(3) / 2;

function equalEarthRaw(lambda: number, phi: number): [number, number] {
  const l = Math.asin(M * Math.sin(phi));
  const l2 = l * l;
  const l6 = l2 * l2 * l2;
  return [
    (lambda * Math.cos(l)) / (M * (A1 + 3 * A2 * l2 + l6 * (7 * A3 + 9 * A4 * l2))),
    l * (A1 + A2 * l2 + l6 * (A3 + A4 * l2)),
  ];
}

const [X_EDGE] = equalEarthRaw(Math.PI, 0);
const [, Y_EDGE] = equalEarthRaw(0, Math.PI / 2);

/** Pixels per unit of the raw projection, so that the whole globe fits the frame. */
export const MAP_SCALE = Math.min((MAP_WIDTH - 2 * MARGIN) / (2 * X_EDGE), (MAP_HEIGHT - 2 * MARGIN) / (2 * Y_EDGE));

/** Where a point (degrees) lands on the map, in viewBox units. */
export function projectPoint(lon: number, lat: number): [number, number] {
  const [x, y] = equalEarthRaw((lon * Math.PI) / 180, (lat * Math.PI) / 180);
  return [MAP_WIDTH / 2 + x * MAP_SCALE, MAP_HEIGHT / 2 - y * MAP_SCALE];
}
