import { commandLineOf, isOwnedProcess } from './owned-process';

describe('isOwnedProcess', () => {
  it('recognises a live process by the markers in its command line', () => {
    const argv0 = process.argv[1] ?? 'node';
    expect(isOwnedProcess(process.pid, [argv0])).toBe(true);
    expect(isOwnedProcess(process.pid, [[`no-such-marker-${process.pid}`, argv0]])).toBe(true);
  });

  it('refuses a live process whose command line lacks a marker', () => {
    expect(isOwnedProcess(process.pid, [`no-such-marker-${process.pid}`])).toBe(false);
  });

  it('refuses a pid that does not exist or was never recorded', () => {
    expect(commandLineOf(2 ** 22 + 12345)).toBeUndefined();
    expect(isOwnedProcess(2 ** 22 + 12345, [])).toBe(false);
    expect(isOwnedProcess(undefined, [])).toBe(false);
  });
});
