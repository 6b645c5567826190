/* Split virtqueues: descriptor table, available ring, used ring. The driver
 * side of the protocol; the transport says where the rings live. */
#include "kernel.h"
#include "mm.h"
#include "arch.h"
#include "virtio.h"

/* Bytes of each ring part for SIZE entries (no event-idx fields used). */
static size_t desc_bytes(uint16_t size) { return 16u * size; }
static size_t avail_bytes(uint16_t size) { return 6u + 2u * size; }
static size_t used_bytes(uint16_t size) { return 6u + 8u * size; }

int virtq_alloc(struct virtio_dev *vd, uint16_t index, uint16_t size, struct virtq **out)
{
	if (!size || (size & (size - 1)))
		return -EINVAL;
	struct virtq *q = kzalloc(sizeof(*q));
	void **cookies = kzalloc(size * sizeof(void *));
	if (!q || !cookies) {
		kfree(q);
		kfree(cookies);
		return -ENOMEM;
	}
	size_t da = ALIGN_UP(desc_bytes(size) + avail_bytes(size), PAGE_SIZE);
	size_t pages = (da + ALIGN_UP(used_bytes(size), PAGE_SIZE)) / PAGE_SIZE;
	char *mem = page_alloc(pages);        /* contiguous and zeroed */
	if (!mem) {
		kfree(q);
		kfree(cookies);
		return -ENOMEM;
	}
	/* One block, the used ring on the next 4 KiB boundary: the layout legacy
	 * devices require, and one modern devices accept. */
	q->desc = (struct vring_desc *)mem;
	q->avail = (struct vring_avail *)(mem + desc_bytes(size));
	q->used = (struct vring_used *)(mem + da);
	q->desc_pa = virt_to_phys(q->desc);
	q->avail_pa = virt_to_phys(q->avail);
	q->used_pa = virt_to_phys(q->used);
	q->vdev = vd;
	q->index = index;
	q->size = size;
	q->cookies = cookies;
	q->lock = (struct spinlock)SPINLOCK_INIT("virtq");
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1 < size ? i + 1 : 0);
	q->free_head = 0;
	q->num_free = size;
	*out = q;
	return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, int n, void *cookie)
{
	if (n <= 0)
		return -EINVAL;
	spin_lock(&q->lock);
	if (q->num_free < n) {
		spin_unlock(&q->lock);
		return -ENOSPC;
	}
	uint16_t head = q->free_head, i = head;
	for (int k = 0; k < n; k++) {
		struct vring_desc *d = &q->desc[i];
		d->addr = bufs[k].addr;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((bufs[k].write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		i = d->next;
	}
	q->free_head = i;
	q->num_free = (uint16_t)(q->num_free - n);
	q->cookies[head] = cookie;
	uint16_t slot = q->avail->idx & (uint16_t)(q->size - 1);
	q->avail->ring[slot] = head;
	mb();                                  /* the ring entry before the index */
	q->avail->idx = (uint16_t)(q->avail->idx + 1);
	spin_unlock(&q->lock);
	return 0;
}

void virtq_kick(struct virtq *q)
{
	mb();                                  /* avail->idx visible before reading flags */
	if (!(__atomic_load_n(&q->used->flags, __ATOMIC_ACQUIRE) & VRING_USED_F_NO_NOTIFY))
		q->vdev->t->notify(q->vdev, q);
}

void *virtq_get_used(struct virtq *q, uint32_t *len)
{
	spin_lock(&q->lock);
	uint16_t used_idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	if (q->last_used == used_idx) {
		spin_unlock(&q->lock);
		return NULL;
	}
	mb();                                  /* read the element after the index */
	struct vring_used_elem e = q->used->ring[q->last_used & (uint16_t)(q->size - 1)];
	q->last_used++;
	uint16_t head = (uint16_t)e.id, i = head, n = 1;
	while (q->desc[i].flags & VRING_DESC_F_NEXT) {
		i = q->desc[i].next;
		n++;
	}
	/* give the chain back to the free list */
	q->desc[i].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
	void *cookie = q->cookies[head];
	q->cookies[head] = NULL;
	spin_unlock(&q->lock);
	if (len)
		*len = e.len;
	return cookie;
}
