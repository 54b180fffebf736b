// Dragging a card with the pointer: a press becomes a drag after a few pixels; the
// stage under the pointer is the drop target. Pointer events (not HTML5 drag and
// drop) so the same code serves mouse, pen, touch and WebDriver's pointer actions.

export interface DragState {
  dealId: number;
  fromStage: string;
  label: string;
  x: number;
  y: number;
  over: string | null;
}

/** Moves below this many pixels are a click, not a drag. */
export const DRAG_THRESHOLD = 5;

export function isDrag(dx: number, dy: number): boolean {
  return Math.hypot(dx, dy) >= DRAG_THRESHOLD;
}

/** The stage named by the nearest `[data-drop-stage]` ancestor of the element at (x, y). */
export function stageAt(x: number, y: number): string | null {
  const el = document.elementFromPoint(x, y);
  const target = el?.closest<HTMLElement>('[data-drop-stage]');
  return target?.dataset.dropStage ?? null;
}
