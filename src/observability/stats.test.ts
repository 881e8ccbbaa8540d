import { MessageStats } from './stats';

describe('MessageStats', () => {
  test('rates are the counts since the previous sample per second', () => {
    const stats = new MessageStats();
    stats.publish += 50;
    stats.sample(5);
    expect(stats.rates.publish).toBe(10);
    stats.publish += 5;
    stats.ack += 20;
    stats.sample(5);
    expect(stats.rates.publish).toBe(1);
    expect(stats.rates.ack).toBe(4);
    stats.sample(5);
    expect(stats.rates.publish).toBe(0);
  });

  test('JSON has RabbitMQ field names, *_details.rate and deliver_get', () => {
    const stats = new MessageStats();
    stats.deliver = 3;
    stats.get_no_ack = 2;
    stats.sample(1);
    const json = stats.toJSON();
    expect(json.deliver).toBe(3);
    expect(json.deliver_details).toEqual({ rate: 3 });
    expect(json.deliver_get).toBe(5);
    expect(json.deliver_get_details).toEqual({ rate: 5 });
    expect(json.return_unroutable).toBe(0);
    expect(json.return_unroutable_details).toEqual({ rate: 0 });
  });
});
