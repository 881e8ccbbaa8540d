/** STUB: replaced by its page. */
import type { PageProps } from '../routes';
import { PageTitle } from '../components/ui';

export default function Page(_props: PageProps) {
  return <PageTitle title="queues" />;
}
