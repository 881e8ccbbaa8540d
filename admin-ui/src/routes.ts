/*
 * Which page a route shows: its first path segment picks a page module, loaded on first use (one chunk per page, so
 * the first page loads only its own code). `gate` is the tag a page needs (RabbitMQ's tag gates); the navigation
 * hides what the user may not open. The operator pages of issue 15 (browse, re-drive, tail, health, routing, audit)
 * get their own entries here and in NAV.
 */
import type { ComponentType } from 'preact';
import type { Route } from './lib/router';

export type Gate = 'admin' | 'monitor' | 'policymaker' | undefined;

export interface PageProps {
  readonly route: Route;
}

export interface PageDef {
  readonly load: () => Promise<{ default: ComponentType<PageProps> }>;
  readonly gate?: Gate;
}

export const PAGES: Readonly<Record<string, PageDef>> = {
  '': { load: () => import('./pages/overview') },
  connections: { load: () => import('./pages/connections') },
  channels: { load: () => import('./pages/channels') },
  exchanges: { load: () => import('./pages/exchanges') },
  queues: { load: () => import('./pages/queues') },
  routing: { load: () => import('./pages/routing') },
  admin: { load: () => import('./pages/admin'), gate: 'policymaker' },
  tail: { load: () => import('./pages/tail') },
  audit: { load: () => import('./pages/audit'), gate: 'admin' },
};

export interface NavItem {
  readonly label: string;
  /** The first path segment it opens. */
  readonly segment: string;
  readonly gate?: Gate;
}

export const NAV: readonly NavItem[] = [
  { label: 'Overview', segment: '' },
  { label: 'Connections', segment: 'connections' },
  { label: 'Channels', segment: 'channels' },
  { label: 'Exchanges', segment: 'exchanges' },
  { label: 'Queues', segment: 'queues' },
  { label: 'Routing', segment: 'routing' },
  { label: 'Admin', segment: 'admin', gate: 'policymaker' },
  { label: 'Audit', segment: 'audit', gate: 'admin' },
];
