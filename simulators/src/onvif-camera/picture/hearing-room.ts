// The world a simulated camera looks at: one wide synthetic picture of a hearing room, drawn once, and the geometry
// that maps an ONVIF position (pan/tilt −1..1, zoom 0..1) to the window of that picture the camera shows.
import type { PictureView } from "./camera-picture.ts";

export interface PictureSeat {
  label: string;
  pan: number;
  tilt: number;
}

/** A text the render pipeline writes onto the world, centred on (x, y) in world pixels. */
export interface WorldLabel {
  text: string;
  x: number;
  y: number;
  /** Pango font description, sized in world pixels. */
  font: string;
  /** Big-endian ARGB as textoverlay wants it. */
  color: number;
}

/** World 2560×1440; at zoom 0 the camera sees half of it in each direction, at zoom 1 an eighth (4× more). */
export const WORLD_WIDTH = 2560;
export const WORLD_HEIGHT = 1440;
const WIDE_WIDTH = WORLD_WIDTH / 2;
const WIDE_HEIGHT = WORLD_HEIGHT / 2;
const MAX_MAGNIFICATION = 4;

export const DEFAULT_SEATS: PictureSeat[] = [
  { label: "Thư ký", pan: -0.6, tilt: 0.3 },
  { label: "Chủ trì", pan: 0, tilt: 0.3 },
  { label: "Cơ quan bị khiếu nại", pan: 0.6, tilt: 0.3 },
  { label: "Công dân", pan: -0.3, tilt: -0.55 },
  { label: "Cán bộ chuyên môn", pan: 0.3, tilt: -0.55 },
];

const clamp = (value: number, low: number, high: number) =>
  Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : (low + high) / 2;
const even = (value: number) => 2 * Math.round(value / 2);

/** The world point at the centre of the picture of a camera aimed at (pan, tilt), whatever its zoom. */
export function aimPoint(pan: number, tilt: number): { x: number; y: number } {
  return {
    x: WORLD_WIDTH / 2 + (clamp(pan, -1, 1) * (WORLD_WIDTH - WIDE_WIDTH)) / 2,
    // ONVIF tilt grows upwards, picture rows grow downwards.
    y: WORLD_HEIGHT / 2 - (clamp(tilt, -1, 1) * (WORLD_HEIGHT - WIDE_HEIGHT)) / 2,
  };
}

/** The window (videocrop's four margins) a camera at this position sees; always 16:9 and inside the world. */
export function viewWindow(view: PictureView): { left: number; right: number; top: number; bottom: number } {
  const magnification = 1 + (MAX_MAGNIFICATION - 1) * clamp(view.zoom, 0, 1);
  const width = even(WIDE_WIDTH / magnification);
  const height = even((width * 9) / 16);
  const centre = aimPoint(view.pan, view.tilt);
  const left = even(clamp(centre.x - width / 2, 0, WORLD_WIDTH - width));
  const top = even(clamp(centre.y - height / 2, 0, WORLD_HEIGHT - height));
  return { left, right: WORLD_WIDTH - left - width, top, bottom: WORLD_HEIGHT - top - height };
}

type Rgb = readonly [number, number, number];
const SEAT_COLOURS: Rgb[] = [
  [178, 34, 34],
  [30, 90, 170],
  [40, 140, 70],
  [200, 120, 20],
  [120, 60, 160],
  [20, 150, 160],
  [190, 70, 130],
  [90, 90, 90],
];

/** Paints into a packed RGB image. */
class Canvas {
  readonly rgb = Buffer.alloc(WORLD_WIDTH * WORLD_HEIGHT * 3);

  rect(x0: number, y0: number, x1: number, y1: number, colour: Rgb): void {
    const left = Math.max(0, Math.round(x0));
    const right = Math.min(WORLD_WIDTH, Math.round(x1));
    const top = Math.max(0, Math.round(y0));
    const bottom = Math.min(WORLD_HEIGHT, Math.round(y1));
    if (right <= left || bottom <= top) return;
    // Paint the first row pixel by pixel, then copy it: a few ms for the whole world instead of a few hundred.
    const first = (top * WORLD_WIDTH + left) * 3;
    for (let x = left; x < right; x++) this.rgb.set(colour, (top * WORLD_WIDTH + x) * 3);
    for (let y = top + 1; y < bottom; y++) {
      this.rgb.copyWithin((y * WORLD_WIDTH + left) * 3, first, first + (right - left) * 3);
    }
  }

  /** Any shape given as an inside test over its bounding box. */
  shape(x0: number, y0: number, x1: number, y1: number, colour: Rgb, inside: (x: number, y: number) => boolean): void {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(WORLD_HEIGHT, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(WORLD_WIDTH, Math.ceil(x1)); x++) {
        if (inside(x, y)) this.rgb.set(colour, (y * WORLD_WIDTH + x) * 3);
      }
    }
  }

  disc(cx: number, cy: number, r: number, colour: Rgb): void {
    this.shape(cx - r, cy - r, cx + r, cy + r, colour, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);
  }

  star(cx: number, cy: number, r: number, colour: Rgb): void {
    const points = Array.from({ length: 10 }, (_, i) => {
      const angle = -Math.PI / 2 + (i * Math.PI) / 5;
      const radius = i % 2 === 0 ? r : r * 0.382;
      return [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)] as const;
    });
    this.shape(cx - r, cy - r, cx + r, cy + r, colour, (x, y) => {
      let inside = false;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [xi, yi] = points[i] as readonly [number, number];
        const [xj, yj] = points[j] as readonly [number, number];
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    });
  }
}

/**
 * The hearing room as packed RGB (WORLD_WIDTH × WORLD_HEIGHT) plus the texts to write on it. Wall panels, banner,
 * flag and floor boards give every part of the world some structure, so any move of the camera shows.
 */
export function drawHearingRoom(seats: PictureSeat[]): { rgb: Buffer; labels: WorldLabel[] } {
  const canvas = new Canvas();
  const floorY = 1120;
  canvas.rect(0, 0, WORLD_WIDTH, floorY, [232, 222, 198]);
  for (let x = 0; x < WORLD_WIDTH; x += 160) {
    canvas.rect(x, 0, x + 6, floorY, [205, 190, 160]);
    canvas.rect(x + 30, 330, x + 130, 420, [220, 208, 180]);
  }
  canvas.rect(0, floorY, WORLD_WIDTH, WORLD_HEIGHT, [122, 82, 52]);
  for (let y = floorY + 40; y < WORLD_HEIGHT; y += 64) canvas.rect(0, y, WORLD_WIDTH, y + 5, [100, 66, 40]);
  for (let x = 0; x < WORLD_WIDTH; x += 320) canvas.rect(x, floorY, x + 4, WORLD_HEIGHT, [100, 66, 40]);
  canvas.rect(0, floorY - 14, WORLD_WIDTH, floorY, [90, 60, 36]);
  // Banner and national flag on the back wall.
  canvas.rect(620, 110, 1940, 250, [196, 28, 28]);
  canvas.rect(620, 250, 1940, 262, [230, 190, 40]);
  canvas.rect(200, 90, 500, 290, [218, 37, 29]);
  canvas.star(350, 190, 80, [255, 222, 0]);
  canvas.rect(2060, 90, 2360, 290, [60, 60, 70]);
  canvas.disc(2210, 190, 80, [240, 240, 240]);
  canvas.rect(2205, 130, 2215, 195, [30, 30, 30]);
  canvas.rect(2210, 185, 2260, 195, [30, 30, 30]);

  const labels: WorldLabel[] = [
    { text: "PHÒNG TIẾP CÔNG DÂN TRỰC TUYẾN", x: 1280, y: 180, font: "DejaVu Sans Bold 56px", color: 0xffffde00 },
  ];
  seats.forEach((seat, index) => {
    // Drawn around the aim point (head above, name card below), so a seat's preset frames it centred.
    const { x, y } = aimPoint(seat.pan, seat.tilt);
    const colour = SEAT_COLOURS[index % SEAT_COLOURS.length] as Rgb;
    const skin: Rgb = [224, 182, 142];
    canvas.rect(x - 80, y - 36, x + 80, y + 80, colour); // body, shoulders rounded by two discs
    canvas.disc(x - 58, y - 14, 22, colour);
    canvas.disc(x + 58, y - 14, 22, colour);
    canvas.rect(x - 16, y - 48, x + 16, y - 30, skin); // neck
    canvas.disc(x, y - 80, 40, skin); // head, hair, eyes
    canvas.shape(
      x - 42,
      y - 122,
      x + 42,
      y - 92,
      [50, 36, 28],
      (px, py) => (px - x) ** 2 + (py - y + 80) ** 2 <= 42 * 42,
    );
    canvas.disc(x - 14, y - 78, 5, [40, 30, 25]);
    canvas.disc(x + 14, y - 78, 5, [40, 30, 25]);
    canvas.rect(x - 150, y + 30, x + 150, y + 130, [116, 72, 42]); // desk
    canvas.rect(x - 150, y + 30, x + 150, y + 40, [140, 92, 56]);
    canvas.rect(x - 125, y + 50, x + 125, y + 115, [250, 250, 250]); // name card with a band of the seat's colour
    canvas.rect(x - 125, y + 50, x + 125, y + 58, colour);
    // DejaVu Sans Bold is about 0.62 em wide per character: the label fits the card.
    const px = Math.min(30, Math.floor(230 / (0.62 * Math.max(1, [...seat.label].length))));
    labels.push({ text: seat.label, x, y: y + 88, font: `DejaVu Sans Bold ${px}px`, color: 0xff202020 });
  });
  return { rgb: canvas.rgb, labels };
}
