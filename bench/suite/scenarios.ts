/**
 * The scenarios of the comparison suite (ids a-g, g10k, h, i and ceiling): what each measures, its metrics and, for the flow
 * scenarios, the message flow and the topology it declares. bench/README.md has the table.
 */
import type * as amqp from 'amqplib';
import type { BrokerName } from './brokers';

/** A client process using at least this share of one core is reported as saturated (the load generator limits). */
export const SATURATED_PCT = 90;

/** The load generators: amqplib (what an application sees) and leveret-perf (what the broker itself can do). */
export const CLIENTS = ['amqplib', 'leveret-perf'] as const;
export type ClientName = (typeof CLIENTS)[number];

export interface Options {
  scenarios: string[];
  /** Flow scenarios and the ceiling run once per client, in CLIENTS order. */
  clients: ClientName[];
  repeat: number;
  durationS: number;
  warmupS: number;
  only: BrokerName[] | undefined;
}

/** `client`: the load generator of a flow or ceiling measurement; h and i open their connections with amqplib. */
export type Result = Record<string, unknown> & { scenario: string; broker: string; run: number; client: ClientName };

/** What a scenario measures, per broker: the headline metric and the other figures shown in the table. */
export interface ScenarioDef {
  id: string;
  name: string;
  title: string;
  /** 'ceiling' runs without a broker. */
  kind: 'flow' | 'connections' | 'startup' | 'ceiling';
  metrics: { key: string; label: string; higherIsBetter: boolean }[];
  flow?: FlowSpec;
}

export interface FlowSpec {
  bodySize: number;
  persistent: boolean;
  durable: boolean;
  confirmInFlight: number;
  rate: number;
  noAck: boolean;
  prefetch: number;
  stamp: boolean;
  /** Sets up exchanges/queues/bindings; returns what the workers use. */
  topology: (ch: amqp.Channel, tag: string) => Promise<{ exchange: string; keys: string[]; queues: string[] }>;
}

const singleQueue = (durable: boolean) => async (ch: amqp.Channel, tag: string) => {
  const q = `bench.${tag}`;
  await ch.assertQueue(q, { durable, autoDelete: false });
  return { exchange: '', keys: [q], queues: [q] };
};

const THROUGHPUT = [
  { key: 'deliveredPerS', label: 'delivered msg/s', higherIsBetter: true },
  { key: 'publishedPerS', label: 'published msg/s', higherIsBetter: true },
  { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
  { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
];

const LATENCY = [
  { key: 'e2eP50Ms', label: 'latency p50 ms', higherIsBetter: false },
  { key: 'e2eP99Ms', label: 'latency p99 ms', higherIsBetter: false },
  { key: 'e2eP999Ms', label: 'latency p99.9 ms', higherIsBetter: false },
  { key: 'deliveredPerS', label: 'delivered msg/s', higherIsBetter: true },
  { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
  { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
];

export const SCENARIOS: ScenarioDef[] = [
  {
    id: 'a',
    name: 'transient-16',
    title: 'transient 16 B, 1 producer, 1 consumer (noAck)',
    kind: 'flow',
    metrics: THROUGHPUT,
    flow: { bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false, topology: singleQueue(false) },
  },
  {
    id: 'b',
    name: 'transient-1k',
    title: 'transient 1 KiB, 1 producer, 1 consumer (noAck)',
    kind: 'flow',
    metrics: THROUGHPUT,
    flow: { bodySize: 1024, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false, topology: singleQueue(false) },
  },
  {
    id: 'c',
    name: 'ack-1k',
    title: 'transient 1 KiB, manual ack, prefetch 100',
    kind: 'flow',
    metrics: THROUGHPUT,
    flow: { bodySize: 1024, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: false, prefetch: 100, stamp: false, topology: singleQueue(false) },
  },
  {
    id: 'd',
    name: 'confirm-1k',
    title: 'durable queue, persistent 1 KiB, confirms (1000 in flight), consumer acks (prefetch 100)',
    kind: 'flow',
    metrics: [
      { key: 'confirmedPerS', label: 'confirmed msg/s', higherIsBetter: true },
      { key: 'confirmP50Ms', label: 'confirm p50 ms', higherIsBetter: false },
      { key: 'confirmP99Ms', label: 'confirm p99 ms', higherIsBetter: false },
      { key: 'deliveredPerS', label: 'delivered msg/s', higherIsBetter: true },
      { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
      { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
    ],
    flow: { bodySize: 1024, persistent: true, durable: true, confirmInFlight: 1000, rate: 0, noAck: false, prefetch: 100, stamp: false, topology: singleQueue(true) },
  },
  {
    id: 'e',
    name: 'fanout-10',
    title: 'fanout exchange to 10 queues, a consumer each (noAck), 16 B',
    kind: 'flow',
    metrics: [
      { key: 'deliveredPerS', label: 'deliveries/s (all queues)', higherIsBetter: true },
      { key: 'publishedPerS', label: 'published msg/s', higherIsBetter: true },
      { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
      { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
    ],
    flow: {
      bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false,
      topology: async (ch, tag) => {
        const ex = `bench.${tag}.fanout`;
        await ch.assertExchange(ex, 'fanout', { durable: false });
        const queues: string[] = [];
        for (let i = 0; i < 10; i++) {
          const q = `bench.${tag}.${i}`;
          await ch.assertQueue(q, { durable: false });
          await ch.bindQueue(q, ex, '');
          queues.push(q);
        }
        return { exchange: ex, keys: [''], queues };
      },
    },
  },
  {
    id: 'f',
    name: 'topic-1000',
    title: 'topic exchange, 1000 wildcard bindings over 10 queues, 1000 routing keys (1 match each), 16 B',
    kind: 'flow',
    metrics: [
      { key: 'deliveredPerS', label: 'routed msg/s', higherIsBetter: true },
      { key: 'publishedPerS', label: 'published msg/s', higherIsBetter: true },
      { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
      { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
    ],
    flow: {
      bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false,
      topology: async (ch, tag) => {
        const ex = `bench.${tag}.topic`;
        await ch.assertExchange(ex, 'topic', { durable: false });
        const queues: string[] = [];
        for (let i = 0; i < 10; i++) {
          const q = `bench.${tag}.${i}`;
          await ch.assertQueue(q, { durable: false });
          queues.push(q);
        }
        // Binding i: "s<i%100>.*.k<i>" (even i) or "s<i%100>.#.k<i>" (odd i); key j "s<j%100>.m<j%7>.k<j>" matches
        // binding j only, so every message is routed to exactly one queue.
        const binds: Promise<unknown>[] = [];
        for (let i = 0; i < 1000; i++) {
          binds.push(ch.bindQueue(queues[i % 10] as string, ex, `s${i % 100}.${i % 2 === 0 ? '*' : '#'}.k${i}`));
        }
        await Promise.all(binds);
        const keys = Array.from({ length: 1000 }, (_, j) => `s${j % 100}.m${j % 7}.k${j}`);
        return { exchange: ex, keys, queues };
      },
    },
  },
  {
    id: 'g',
    name: 'latency-1000',
    title: 'fixed 1000 msg/s, 16 B, noAck consumer: end-to-end latency (send time in the body)',
    kind: 'flow',
    metrics: LATENCY,
    flow: { bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 1000, noAck: true, prefetch: 0, stamp: true, topology: singleQueue(false) },
  },
  {
    id: 'g10k',
    name: 'latency-10000',
    title: 'fixed 10,000 msg/s, 16 B, noAck consumer: end-to-end latency (send time in the body)',
    kind: 'flow',
    metrics: LATENCY,
    flow: { bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 10_000, noAck: true, prefetch: 0, stamp: true, topology: singleQueue(false) },
  },
  {
    id: 'h',
    name: 'conns-1000',
    title: '1000 connections with a channel each (opened 20 at a time, one client process), fresh broker instance',
    kind: 'connections',
    metrics: [
      { key: 'openS', label: 'time to open s', higherIsBetter: false },
      { key: 'rssPerConnKiB', label: 'RSS per connection KiB', higherIsBetter: false },
      { key: 'rssBeforeMiB', label: 'RSS before MiB', higherIsBetter: false },
      { key: 'rssAfterMiB', label: 'RSS with 1000 MiB', higherIsBetter: false },
    ],
  },
  {
    id: 'i',
    name: 'startup',
    title: 'start-up (spawn -> first AMQP connection accepted) and idle RSS 2 s later, fresh instance',
    kind: 'startup',
    metrics: [
      { key: 'startupMs', label: 'start-up ms', higherIsBetter: false },
      { key: 'idleRssMiB', label: 'idle RSS MiB', higherIsBetter: false },
    ],
  },
  {
    id: 'ceiling',
    name: 'ceiling',
    title: 'client ceiling: producer -> sink, source -> consumer (no broker), per client',
    kind: 'ceiling',
    metrics: [
      { key: 'producer16PerS', label: 'producer 16 B msg/s', higherIsBetter: true },
      { key: 'consumer16PerS', label: 'consumer 16 B msg/s', higherIsBetter: true },
      { key: 'producer1kPerS', label: 'producer 1 KiB msg/s', higherIsBetter: true },
      { key: 'consumer1kPerS', label: 'consumer 1 KiB msg/s', higherIsBetter: true },
    ],
  },
];
