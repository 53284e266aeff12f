// Loaded on demand by WorldMap: d3-geo and the 110m atlas stay out of every page's first load.
import { geoEqualEarth, geoPath } from "d3-geo";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import atlas from "world-atlas/countries-110m.json";
import { MAP_HEIGHT, MAP_SCALE, MAP_WIDTH } from "./world-map-projection";

export interface LandShapes {
  /** The globe's outline (the sea). */
  sphere: string;
  countries: string;
  borders: string;
}

export function landShapes(): LandShapes {
  const world = atlas as unknown as Topology<{ countries: GeometryCollection }>;
  const projection = geoEqualEarth().scale(MAP_SCALE).translate([MAP_WIDTH / 2, MAP_HEIGHT / 2]);
  const path = geoPath(projection).digits(1);
  return {
    sphere: path({ type: "Sphere" }) ?? "",
    countries: path(feature(world, world.objects.countries)) ?? "",
    borders: path(mesh(world, world.objects.countries, (a, b) => a !== b)) ?? "",
  };
}
