import { describe, expect, it } from 'vitest';
import { describeChange, editablePositions } from './changes';

describe('changes made offline', () => {
  it('says what each change does', () => {
    expect(describeChange(['deal', 'move', '12', 'Negotiation', '--override', 'CFO said yes'])).toBe('Move deal 12 to Negotiation');
    expect(describeChange(['--json', 'deal', 'add', '--account', '3', '--name', 'Acme renewal', '--amount', '100'])).toBe('New deal “Acme renewal”');
    expect(describeChange(['activity', 'add', '--deal', '9', '--kind', 'meeting', '--subject', 'On site'])).toBe('Meeting “On site” on deal 9');
    expect(describeChange(['deal', 'update', '4', '--amount', '5000'])).toBe('Change deal 4');
    expect(describeChange(['qbr', 'held', '7'])).toBe('QBR 7 held');
    expect(describeChange(['account', 'merge', '3', '4'])).toBe('account merge 3 4');
  });
  it('offers values for editing, never the command words or flags', () => {
    const args = ['deal', 'move', '12', 'Negotiation', '--override', 'CFO said yes', '--json'];
    expect(editablePositions(args).map((i) => args[i])).toEqual(['12', 'Negotiation', 'CFO said yes']);
    const update = ['deal', 'update', '4', '--amount=5', '--close', '2027-01-01'];
    expect(editablePositions(update).map((i) => update[i])).toEqual(['4', '2027-01-01']);
  });
});
