import { describe, expect, it } from 'vitest';
import { matchScore, rankCommands } from './palette';

describe('palette matching', () => {
  it('matches subsequences and refuses the rest', () => {
    expect(matchScore('pb', 'Pipeline board')).not.toBeNull();
    expect(matchScore('bp', 'Pipeline board')).toBeNull();
    expect(matchScore('', 'anything')).toBe(0);
  });
  it('ranks word starts above scattered letters', () => {
    const commands = [
      { id: 'a', title: 'Open workspace' },
      { id: 'b', title: 'New deal' },
      { id: 'c', title: 'Go to deals table', keywords: 'list' }
    ];
    expect(rankCommands(commands, 'nd').map((c) => c.id)[0]).toBe('b');
    expect(rankCommands(commands, 'list').map((c) => c.id)).toEqual(['c']);
    expect(rankCommands(commands, '').map((c) => c.id)).toEqual(['a', 'b', 'c']);
  });
});
