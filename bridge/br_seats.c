/* br_seats: seats with their places, as holds and payments answer them, and sections (see
 * br_seats.h). */
#include "br_seats.h"

#include "br_pb.h"

#include <stdio.h>

void br_seats_label(const char *section, uint32_t row, uint32_t number,
                    char out[BR_SEATS_LABEL_MAX])
{
    snprintf(out, BR_SEATS_LABEL_MAX, "%.16s-%u-%u", section, (unsigned)row, (unsigned)number);
}

void br_seats_place(struct br_json *j, const char *section, uint32_t row, uint32_t number)
{
    char label[BR_SEATS_LABEL_MAX];

    if (section == NULL || section[0] == '\0') {
        br_json_key(j, "section");
        br_json_null(j);
        br_json_key(j, "row");
        br_json_null(j);
        br_json_key(j, "number");
        br_json_null(j);
        br_json_key(j, "label");
        br_json_null(j);
        return;
    }
    br_seats_label(section, row, number, label);
    br_json_kv_str(j, "section", section);
    br_json_kv_u64(j, "row", row);
    br_json_kv_u64(j, "number", number);
    br_json_kv_str(j, "label", label);
}

int br_seats_listed(Boxoffice__V1__Seat *const *seats, size_t n)
{
    return n > 1 || (n == 1 && seats[0]->section != NULL && seats[0]->section[0] != '\0');
}

void br_seats_member(struct br_json *j, Boxoffice__V1__Seat *const *seats, size_t n)
{
    br_json_key(j, "seats");
    br_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        br_json_obj_begin(j);
        br_json_kv_u64(j, "seatNo", seats[i]->seat_no);
        br_seats_place(j, seats[i]->section, seats[i]->row, seats[i]->number);
        br_json_kv_i64(j, "price", seats[i]->price);
        br_json_obj_end(j);
    }
    br_json_arr_end(j);
}

void br_seats_sections(struct br_json *j, Boxoffice__V1__Section *const *sections, size_t n,
                       const char *const *keys)
{
    br_json_key(j, "sections");
    br_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        br_pb_json_object(j, &sections[i]->base, keys);
    }
    br_json_arr_end(j);
}
