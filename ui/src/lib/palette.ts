/** A command the palette offers. */
export interface PaletteCommand {
  id: string;
  title: string;
  hint?: string;
  keywords?: string;
}

/**
 * Scores how well `query` matches `text`: every query character in order (a
 * subsequence), with a bonus for word starts and runs. Null when it does not match.
 */
export function matchScore(query: string, text: string): number | null {
  const q = query.trim().toLowerCase();
  if (!q) return 0;
  const t = text.toLowerCase();
  let score = 0;
  let at = 0;
  let previous = -2;
  for (const ch of q) {
    if (ch === ' ') continue;
    const found = t.indexOf(ch, at);
    if (found < 0) return null;
    const wordStart = found === 0 || /[\s\-/&]/.test(t[found - 1]);
    score += 1 + (wordStart ? 3 : 0) + (found === previous + 1 ? 2 : 0);
    previous = found;
    at = found + 1;
  }
  return score - t.length * 0.01;
}

/** The commands matching `query`, best first (ties keep their order). */
export function rankCommands<T extends PaletteCommand>(commands: T[], query: string): T[] {
  return commands
    .map((c, i) => ({ c, i, s: matchScore(query, `${c.title} ${c.keywords ?? ''}`) }))
    .filter((x) => x.s !== null)
    .sort((a, b) => (b.s as number) - (a.s as number) || a.i - b.i)
    .map((x) => x.c);
}
