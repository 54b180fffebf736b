// The past day the board and the dashboard show ('' for today), shared by both and kept
// while the app is open, so a leader who looks back on the board finds the dashboard of
// the same day. Both screens say so in a banner whenever it is set.
export const asOf = $state({ day: '' });

/** The day as the commands take it: null for today (or a day that is not one yet). */
export function pastDay(day: string, today: string): string | null {
  const d = day.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || d >= today) return null;
  return d;
}
