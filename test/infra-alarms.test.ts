/**
 * The alarm seam (shared/alarms) as pure functions: alarm settings and maintenance windows in
 * config validation, the specs a config yields, mute schedules, and how alarms are spread
 * over stacks.
 */
import { describe, expect, it } from 'vitest';
import { muteSchedule } from '../shared/alarms/maintenance';
import { resolveAlarmSettings } from '../shared/alarms/settings';
import { alarmSpecs, checkAlarmSpecs } from '../shared/alarms/specs';
import { formatDiagnostic } from '../shared/config/schema';
import type { MaintenanceWindow } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { registry } from '../shared/probes/registry';
import type { ProbeKind } from '../shared/probes/types';
import { jumpHash, shardAlarms, type CheckAlarms } from '../infra/sharding';
import { stableHash } from '../shared/runner/schedule';

const REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1'];
const base = (
  over: Record<string, unknown> = {},
  checks: Record<string, unknown>[] = [{ id: 'shop-home', kind: 'http', url: 'https://shop.example.com/' }],
) => ({
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: REGIONS,
  ...over,
  checks,
});

function problems(raw: unknown): string[] {
  const r = validateConfig(raw);
  return r.ok ? [] : r.diagnostics.map(formatDiagnostic);
}

describe('alarm settings in the config', () => {
  it('defaults to a quorum of 2 (1 in a single region), 2 of 3 periods of the frequency', () => {
    const c = parseConfig(
      base({}, [
        { id: 'a', kind: 'http', url: 'https://shop.example.com/' },
        { id: 'b', kind: 'http', url: 'https://shop.example.com/', regions: ['us-east-1'], frequency: '5m' },
        { id: 'c', kind: 'http', url: 'https://shop.example.com/', frequency: '1d', timeout: '10s' },
        { id: 'd', kind: 'http', url: 'https://shop.example.com/', frequency: '10s', timeout: '5s' },
      ]),
    );
    expect(c.checks.map(resolveAlarmSettings)).toEqual([
      { quorum: 2, datapoints: 2, periods: 3, periodSeconds: 60 },
      { quorum: 1, datapoints: 2, periods: 3, periodSeconds: 300 },
      // A day-long period leaves room for one period only.
      { quorum: 2, datapoints: 1, periods: 1, periodSeconds: 86_400 },
      // Sub-minute checks are judged per minute.
      { quorum: 2, datapoints: 2, periods: 3, periodSeconds: 60 },
    ]);
  });

  it("takes defaults.alarm field by field, capping a default quorum at the check's regions", () => {
    const c = parseConfig(
      base({ defaults: { alarm: { quorum: 3, periods: 5 } } }, [
        { id: 'a', kind: 'http', url: 'https://shop.example.com/' },
        { id: 'b', kind: 'http', url: 'https://shop.example.com/', regions: ['us-east-1'] },
        { id: 'c', kind: 'http', url: 'https://shop.example.com/', alarm: { quorum: 1, datapoints: 4 } },
      ]),
    );
    expect(c.checks.map((ch) => ch.alarm)).toEqual([
      { quorum: 3, periods: 5 },
      { quorum: 1, periods: 5 },
      { quorum: 1, periods: 5, datapoints: 4 },
    ]);
  });

  it('reports settings CloudWatch would refuse or that could never fire, with paths and hints', () => {
    expect(
      problems(
        base({}, [
          { id: 'a', kind: 'http', url: 'https://shop.example.com/', alarm: { quorum: 4 } },
          { id: 'b', kind: 'http', url: 'https://shop.example.com/', alarm: { datapoints: 4 } },
          {
            id: 'c',
            kind: 'http',
            url: 'https://shop.example.com/',
            frequency: '1h',
            timeout: '10s',
            alarm: { periods: 25 },
          },
          { id: 'd', kind: 'http', url: 'https://shop.example.com/', alarm: { quorum: 0, extra: 1 } },
        ]),
      ),
    ).toEqual([
      'checks[0] "a".alarm.quorum: 4 is more than the 3 regions the check runs in (eu-central-1, us-east-1, ' +
        'ap-southeast-1) — hint: lower the quorum or run the check in more regions',
      'checks[1] "b".alarm.datapoints: 4 is more than periods = 3 (the default) — hint: datapoints counts the ' +
        'breaching periods out of `periods`',
      'checks[2] "c".alarm.periods: 25 periods of 1h exceed one day, the longest an alarm can look back — hint: use ' +
        'at most 24 period(s) for this frequency',
      'checks[3] "d".alarm.extra: unknown key — hint: known keys: quorum, datapoints, periods',
      'checks[3] "d".alarm.quorum: expected an integer from 1 to 10, got number 0',
    ]);
  });

  it('refuses a check in more regions than an alarm can read (10)', () => {
    const regions = [
      'eu-west-1',
      'eu-west-2',
      'eu-west-3',
      'eu-central-1',
      'eu-north-1',
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
      'ap-southeast-1',
      'ap-southeast-2',
    ];
    expect(problems(base({ regions }))).toEqual([
      'checks[0] "shop-home".regions: runs in 11 regions, but its alarms can read at most 10 (one metric per ' +
        'region) — hint: give this check at most 10 regions',
    ]);
  });
});

describe('maintenance windows in the config', () => {
  it('accepts a recurring and a one-off window', () => {
    const c = parseConfig(
      base({
        maintenance: [
          {
            name: 'sunday',
            schedule: '0 2 * * SUN',
            duration: '30m',
            timezone: 'Europe/Berlin',
            checks: ['shop-home'],
          },
          { name: 'db', start: '2030-03-01T02:00', duration: '2h' },
        ],
      }),
    );
    expect(c.maintenance).toHaveLength(2);
  });

  it('collects every problem: unknown ids (did-you-mean), schedule xor start, cron, zone, duration, duplicates', () => {
    expect(
      problems(
        base({
          maintenance: [
            { name: 'a', schedule: '0 2 * * SUN', duration: '30m', checks: ['shop-hme', 'nope'] },
            { name: 'b', duration: '1h' },
            { name: 'c', schedule: '0 2 * *', start: '2030-01-01T00:00', duration: '1h' },
            { name: 'd', start: 'tomorrow', duration: '1h', timezone: 'Mars/Olympus' },
            { name: 'e', start: '2030-01-01T00:00+02:00', timezone: 'Europe/Berlin', duration: '1h' },
            { name: 'f', schedule: '0 2 * * SUN', duration: '16d' },
            { name: 'a', schedule: '0 3 * * SUN', duration: '1h' },
          ],
        }),
      ),
    ).toEqual([
      'maintenance[1]: needs a schedule (recurring) or a start (one-off) — hint: give `schedule: "0 2 * * SUN"` for ' +
        'a recurring window or `start: "2026-03-01T02:00"` for a one-off one',
      'maintenance[2]: has both schedule and start — hint: give `schedule: "0 2 * * SUN"` for a recurring window or ' +
        '`start: "2026-03-01T02:00"` for a one-off one',
      'maintenance[2].schedule: expected a cron expression with five fields, got "0 2 * *" — hint: minute hour ' +
        'day-of-month month day-of-week, e.g. "0 2 * * SUN" (Sundays 02:00)',
      'maintenance[3].start: expected an ISO date-time such as "2026-03-01T02:00", got "tomorrow"',
      'maintenance[3].timezone: unknown time zone "Mars/Olympus" — hint: use an IANA name such as "Europe/Berlin" ' +
        'or "UTC"',
      'maintenance[4].timezone: is set, but start "2030-01-01T00:00+02:00" carries its own offset — hint: drop the ' +
        'offset from start or drop timezone',
      `maintenance[5].duration: must be at most ${15 * 86_400_000}ms, got "16d"`,
      'maintenance[0].checks[0]: unknown check id "shop-hme" — hint: did you mean "shop-home"?',
      'maintenance[0].checks[1]: unknown check id "nope" — hint: list ids of checks in this config',
      'maintenance[6].name: duplicate window name "a", also used by maintenance[0] — hint: names become mute rule ' +
        'names and must be unique',
    ]);
  });

  it('turns windows into mute rule schedules', () => {
    const w = (x: Partial<MaintenanceWindow>) => ({ name: 'w', duration: '1h30m', ...x }) as MaintenanceWindow;
    expect(muteSchedule(w({ schedule: 'cron(0  2 * * SUN)', timezone: 'Europe/Berlin' }))).toEqual({
      expression: 'cron(0 2 * * SUN)',
      timezone: 'Europe/Berlin',
      minutes: 90,
    });
    expect(muteSchedule(w({ start: '2030-03-01T02:00:00' }))).toEqual({
      expression: 'at(2030-03-01T02:00)',
      timezone: 'UTC',
      minutes: 90,
    });
    expect(muteSchedule(w({ start: '2030-03-01T02:00+02:00' }))).toEqual({
      expression: 'at(2030-03-01T00:00)',
      timezone: 'UTC',
      minutes: 90,
    });
  });
});

describe('alarm specs', () => {
  it('keeps names within 255 and descriptions within 1024 characters, without query values from URLs', () => {
    const c = parseConfig(
      base({}, [
        {
          id: 'long',
          name: 'N'.repeat(200),
          kind: 'http',
          url: `https://shop.example.com/${'x'.repeat(900)}?api_key=pa55word`,
          degradedAfter: '1s',
          runbook: 'https://wiki.example.com/rb',
        },
      ]),
    );
    const specs = alarmSpecs(c);
    for (const s of specs) {
      expect(s.name.length).toBeLessThanOrEqual(255);
      expect(s.description.length).toBeLessThanOrEqual(1024);
      expect(`${s.name}${s.description}`).not.toContain('pa55word');
    }
    const down = specs.find((s) => s.key === 'down:long')!;
    // The name gives way first (the description has it whole), then the target is shortened.
    expect(
      down.name.startsWith(
        `shop DOWN long (${'N'.repeat(57)}...) failing in >=2 of 3 regions - GET https://shop.example.com/x`,
      ),
    ).toBe(true);
    expect(down.description).toContain('N'.repeat(200));
    expect(down.description).toContain('Runbook: https://wiki.example.com/rb');
    expect(down.name.endsWith('...')).toBe(true);
  });

  it('has no alarms for a disabled check and one runner alarm per probe region', () => {
    const c = parseConfig(base({}, [{ id: 'off', kind: 'http', url: 'https://shop.example.com/', enabled: false }]));
    expect(alarmSpecs(c).map((s) => s.key)).toEqual(REGIONS.map((r) => `runner:${r}`));
  });

  it("adopts a kind's own period and anomaly band, keeping the look-back within a day", () => {
    const kinds = new Map<string, ProbeKind>([
      [
        'http',
        {
          ...registry.get('http')!,
          alarms: () => [
            {
              name: 'daily',
              metric: 'Figure',
              statistic: 'Maximum',
              comparison: 'GreaterThanThreshold',
              threshold: 5,
              acrossRegions: 'max',
              severity: 'warning',
              description: 'figure too high',
              periodSeconds: 43_200,
            },
            {
              name: 'odd',
              metric: 'Figure',
              statistic: 'Average',
              comparison: 'GreaterThanThreshold',
              threshold: 0,
              acrossRegions: 'min',
              severity: 'critical',
              description: 'figure unusual',
              anomalyBand: 2,
            },
          ],
        },
      ],
    ]);
    const c = parseConfig(base());
    const [, daily, odd] = checkAlarmSpecs(c, c.checks[0]!, kinds);
    expect(daily).toMatchObject({
      key: 'kind:shop-home:daily',
      periodSeconds: 43_200,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 5,
      severity: 'warning',
      treatMissingData: 'notBreaching',
    });
    expect(odd).toMatchObject({
      key: 'kind:shop-home:odd',
      comparison: 'LessThanLowerOrGreaterThanUpperThreshold',
      anomalyBand: 2,
      severity: 'critical',
    });
    // Every region feeds one series: its Maximum over a period is the highest region's (no metric math).
    for (const spec of [daily!, odd!]) {
      expect(spec.expression).toBeUndefined();
      expect(spec.metrics).toEqual([
        expect.objectContaining({ metricName: 'Figure', dimensions: { Project: 'shop', CheckId: 'shop-home' } }),
      ]);
    }
  });
});

describe('spreading alarms over stacks', () => {
  const group = (id: string, n = 2): CheckAlarms => ({
    checkId: id,
    specs: alarmSpecs(
      parseConfig(base({}, [{ id, kind: 'http', url: 'https://shop.example.com/', degradedAfter: '1s' }])),
    ).slice(0, n),
  });

  it('jump hash moves keys only into the new bucket when buckets grow', () => {
    for (let key = 0; key < 2_000; key++) {
      const k = stableHash(`check-${key}`);
      for (let n = 1; n < 12; n++) {
        const before = jumpHash(k, n);
        const after = jumpHash(k, n + 1);
        expect(before).toBeGreaterThanOrEqual(0);
        expect(before).toBeLessThan(n);
        expect(after === before || after === n).toBe(true);
      }
    }
  });

  it('keeps every check in its stack when an unrelated check is added', () => {
    const groups = Array.from({ length: 400 }, (_, i) => group(`svc-${i}`));
    const where = (shards: ReturnType<typeof shardAlarms>) =>
      new Map(shards.flatMap((s, i) => s.checks.map((c) => [c.checkId, i] as const)));
    const before = shardAlarms(groups);
    const after = shardAlarms([...groups.slice(0, 200), group('new-check'), ...groups.slice(200)]);
    expect(after.length).toBe(before.length);
    const a = where(before);
    const b = where(after);
    for (const [id, i] of a) expect(b.get(id)).toBe(i);
    expect(before.length).toBeGreaterThan(1);
  });

  it('honours a minimum stack count and never exceeds the per-stack budget', () => {
    const groups = Array.from({ length: 50 }, (_, i) => group(`svc-${i}`));
    expect(shardAlarms(groups)).toHaveLength(1);
    const pinned = shardAlarms(groups, { minStacks: 3 });
    expect(pinned).toHaveLength(3);
    expect(pinned.flatMap((s) => s.checks.map((c) => c.checkId)).sort()).toEqual(groups.map((g) => g.checkId).sort());
  });
});
