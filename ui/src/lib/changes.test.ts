import { describe, expect, it } from 'vitest';
import { editablePositions } from './changes';

describe('changes made offline', () => {
  it('offers values for editing, never the command words or flags', () => {
    const args = ['deal', 'move', '12', 'Negotiation', '--override', 'CFO said yes', '--json'];
    expect(editablePositions(args).map((i) => args[i])).toEqual(['12', 'Negotiation', 'CFO said yes']);
    const update = ['deal', 'update', '4', '--amount=5', '--close', '2027-01-01'];
    expect(editablePositions(update).map((i) => update[i])).toEqual(['4', '2027-01-01']);
  });
});
