import { mkdtempSync, rmSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableMemory, blockedReason, limitBytes, ResourceAlarms, type AlarmResource } from './alarms';

function files(contents: Record<string, string>): (file: string) => string {
  return (file) => {
    const text = contents[file];
    if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return text;
  };
}

describe('availableMemory', () => {
  test('the cgroup v2 limit when lower than the machine, else the machine', () => {
    expect(availableMemory(files({ '/sys/fs/cgroup/memory.max': '268435456\n' }))).toBe(268435456);
    expect(availableMemory(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBe(totalmem());
    expect(availableMemory(files({ '/sys/fs/cgroup/memory.max': String(totalmem() * 2) }))).toBe(totalmem());
  });

  test('cgroup v1 when there is no v2 file; its "no limit" (a huge number) is the machine', () => {
    expect(availableMemory(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912' }))).toBe(536870912);
    expect(availableMemory(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBe(totalmem());
    expect(availableMemory(files({}))).toBe(totalmem());
  });
});

test('limitBytes: absolute as given; relative to memory, the memory watermark clamped at 1.0 (disk is not)', () => {
  expect(limitBytes({ absolute: 123 }, 1000, true)).toBe(123);
  expect(limitBytes({ relative: 0.4 }, 1000, true)).toBe(400);
  expect(limitBytes({ relative: 1.5 }, 1000, true)).toBe(1000);
  expect(limitBytes({ relative: 1.5 }, 1000, false)).toBe(1500);
});

test("blockedReason: RabbitMQ's texts", () => {
  expect(blockedReason(['memory'])).toBe('low on memory');
  expect(blockedReason(['disk'])).toBe('low on disk');
  expect(blockedReason(['memory', 'disk'])).toBe('low on memory & disk');
});

describe('ResourceAlarms', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'leveret-alarms-unit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('memory, disk and store alarms: each change of the set of resources is heard once', () => {
    const alarms = new ResourceAlarms({ memoryHighWatermark: { relative: 1 }, diskFreeLimit: { absolute: 1 }, dataDir: dir });
    const heard: AlarmResource[][] = [];
    alarms.onChange((r) => heard.push([...r]));
    alarms.checkMemory();
    alarms.checkDiskNow();
    expect(alarms.resources).toEqual([]);
    expect(alarms.figures).toMatchObject({ memAlarm: false, diskFreeAlarm: false, diskFreeLimit: 1 });
    expect(alarms.figures.memUsed).toBeGreaterThan(0);
    expect(alarms.figures.diskFree).toBeGreaterThan(1);

    alarms.setMemoryHighWatermark({ absolute: 1024 });
    alarms.setDiskFreeLimit({ absolute: 1e18 });
    alarms.storeFailing('SQLITE_FULL');
    expect(alarms.resources).toEqual(['memory', 'disk']);
    expect(alarms.figures).toMatchObject({ memAlarm: true, memLimit: 1024, diskFreeAlarm: true, diskFreeLimit: 1e18 });
    alarms.setDiskFreeLimit({ absolute: 1 });
    expect(alarms.resources).toEqual(['memory', 'disk']); // the store still cannot write
    alarms.storeFailing(undefined);
    alarms.setMemoryHighWatermark({ relative: 1 });
    expect(heard).toEqual([['memory'], ['memory', 'disk'], ['memory'], []]);
  });

  test('no data directory: no disk alarm, and no disk figure', () => {
    const alarms = new ResourceAlarms({ memoryHighWatermark: { relative: 1 }, diskFreeLimit: { absolute: 1e18 } });
    alarms.start();
    try {
      expect(alarms.resources).toEqual([]);
      expect(alarms.figures.diskFree).toBeUndefined();
    } finally {
      alarms.stop();
    }
  });

  test('start samples at once; the timers do not keep the process alive', () => {
    const alarms = new ResourceAlarms({ memoryHighWatermark: { absolute: 1 }, diskFreeLimit: { absolute: 1e18 }, dataDir: dir });
    alarms.start();
    try {
      expect(alarms.resources).toEqual(['memory', 'disk']);
    } finally {
      alarms.stop();
    }
  });
});
