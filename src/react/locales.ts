'use client'
// PayButton's labels in other languages than English, one entry point of their own (`tma-pay/react/locales`):
// an app ships the languages it passes to `<PayProvider translations>` and no others.
import { enLabels, type PayLabels } from './labels'

/** Russian, for `<PayProvider translations={{ ru: ruLabels }}>`. */
export const ruLabels: PayLabels = {
  pay: 'Оплатить {price}',
  creating: 'Создаём заказ…',
  awaitingPayment: 'Ожидаем оплату…',
  confirming: 'Проверяем оплату…',
  paid: 'Оплачено',
  cancelled: 'Оплата отменена',
  failed: 'Оплата не прошла',
  expired: 'Срок оплаты истёк',
  retry: 'Повторить',
  owned: 'Куплено',
  extend: 'Продлить {price}',
}

/** Chinese, for `<PayProvider translations={{ zh: zhLabels }}>`. */
export const zhLabels: PayLabels = {
  pay: '支付 {price}',
  creating: '创建订单…',
  awaitingPayment: '等待付款…',
  confirming: '确认付款…',
  paid: '已支付',
  cancelled: '付款已取消',
  failed: '付款失败',
  expired: '付款已过期',
  retry: '重试',
  owned: '已拥有',
  extend: '续期 {price}',
}

/** Every built-in table, by language code: `<PayProvider translations={payLabels}>` ships all three. */
export const payLabels: Record<'en' | 'ru' | 'zh', PayLabels> = { en: enLabels, ru: ruLabels, zh: zhLabels }
