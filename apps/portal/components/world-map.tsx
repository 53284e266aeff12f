"use client";

import { useEffect, useRef, useState, type CSSProperties, type JSX, type RefObject } from "react";
import type { LandShapes } from "./world-map-land";
import { MAP_HEIGHT, MAP_WIDTH, projectPoint } from "./world-map-projection";
import styles from "./world-map.module.css";

export interface WorldMapPoint {
  id: string | number;
  lat: number;
  lon: number;
  /** Any CSS colour, custom properties too (`var(--ok)`): the caller's meaning (status, latency). */
  color: string;
  label: string;
  href?: string;
  /** Drawn with an alert ring (a probe whose status check alerts). */
  alert?: boolean;
}

// One load of the land for every map on the page.
let land: Promise<LandShapes> | undefined;
function loadLand(): Promise<LandShapes> {
  land ??= import("./world-map-land").then((m) => m.landShapes());
  return land;
}

/**
 * The land, fetched once the map comes near the viewport: a map below the fold (a phone, a long
 * measurement page) costs its 47 KB only to a visitor who scrolls to it.
 */
function useLand(svg: RefObject<SVGSVGElement | null>): LandShapes | null {
  const [shapes, setShapes] = useState<LandShapes | null>(null);
  useEffect(() => {
    const element = svg.current;
    if (!element) return;
    let current = true;
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        observer.disconnect();
        loadLand().then(
          (loaded) => current && setShapes(loaded),
          () => undefined, // The points stay readable on a blank globe.
        );
      },
      { rootMargin: "200px" },
    );
    observer.observe(element);
    return () => {
      current = false;
      observer.disconnect();
    };
  }, [svg]);
  return shapes;
}

/** A point's radius on screen, in CSS pixels, whatever the map's drawn size. */
const POINT_RADIUS_PX = 5;

/**
 * ViewBox units per CSS pixel of the drawn map (1.5 until measured: a map about 640 px wide), so
 * that points keep their size on screen on a phone and on a wide screen alike.
 */
function useUnitsPerPixel(svg: RefObject<SVGSVGElement | null>): number {
  const [units, setUnits] = useState(1.5);
  useEffect(() => {
    const element = svg.current;
    if (!element) return;
    const measure = () => {
      const { width, height } = element.getBoundingClientRect();
      // The drawing is letterboxed (meet) into the box: the tighter dimension sets the scale.
      if (width > 0 && height > 0) setUnits(Math.max(MAP_WIDTH / width, MAP_HEIGHT / height));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [svg]);
  return units;
}

function Point({ point, radius }: { point: WorldMapPoint; radius: number }) {
  const [x, y] = projectPoint(point.lon, point.lat);
  const dot = (
    <circle
      className={point.alert ? `${styles.point} ${styles.alert}` : styles.point}
      cx={x.toFixed(1)}
      cy={y.toFixed(1)}
      r={radius.toFixed(2)}
      style={{ fill: point.color }}
      data-point-id={point.id}
      data-alert={point.alert ? "true" : undefined}
    >
      <title>{point.label}</title>
    </circle>
  );
  if (!point.href) return dot;
  return (
    <a href={point.href} aria-label={point.label} className={styles.link}>
      {dot}
    </a>
  );
}

/**
 * A world map (Equal Earth) with a dot per point, drawn as SVG that scales to its container's
 * width. `height` caps the drawn height in CSS pixels. Points with an `href` are links, reachable
 * with the keyboard; the land (d3-geo and the 110m atlas) loads after the page.
 */
export function WorldMap(props: { points: WorldMapPoint[]; ariaLabel: string; height?: number }): JSX.Element {
  const svg = useRef<SVGSVGElement>(null);
  const shapes = useLand(svg);
  const unitsPerPixel = useUnitsPerPixel(svg);
  const placed = props.points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  const linked = placed.some((p) => p.href);
  return (
    <figure className={styles.map} aria-label={props.ariaLabel} data-land={shapes ? "drawn" : "loading"}>
      <svg
        ref={svg}
        viewBox={`0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`}
        // With links inside, a group: an img would hide them from screen readers.
        role={linked ? "group" : "img"}
        aria-label={props.ariaLabel}
        style={{ "--units-per-px": unitsPerPixel, ...(props.height ? { maxHeight: `${props.height}px` } : {}) } as CSSProperties}
      >
        <g aria-hidden="true">
          {shapes ? (
            <>
              <path className={styles.sea} d={shapes.sphere} />
              <path className={styles.land} d={shapes.countries} />
              <path className={styles.borders} d={shapes.borders} />
            </>
          ) : (
            <rect className={styles.sea} width={MAP_WIDTH} height={MAP_HEIGHT} rx={MAP_HEIGHT / 2} />
          )}
        </g>
        {placed.map((p) => (
          <Point key={p.id} point={p} radius={POINT_RADIUS_PX * unitsPerPixel} />
        ))}
      </svg>
    </figure>
  );
}
